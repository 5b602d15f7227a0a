"""``gatewise pin``: write a dataset's sha256 into the config, keeping comments and layout."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

from ..errors import ConfigError


def write_pin(config_path: str | Path, sha256: str) -> bool:
    """Set ``dataset.sha256`` in the file; returns False when it already held that value."""
    from ruamel.yaml import YAML
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    path = Path(config_path)
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap long lines the user wrote
    text = path.read_text(encoding="utf-8")
    doc = yaml.load(text)
    dataset = doc.get("dataset") if isinstance(doc, dict) else None
    if not isinstance(dataset, dict):
        raise ConfigError("no dataset: section to pin", file=str(path), key="dataset")
    if str(dataset.get("sha256", "")) == sha256:
        return False
    dataset["sha256"] = DoubleQuotedScalarString(sha256)
    out = io.StringIO()
    yaml.dump(doc, out)
    # write next to the file and rename, so an interrupted pin never leaves half a config
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(out.getvalue())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True
