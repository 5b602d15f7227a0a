"""``gatewise pin``: write a dataset's sha256 into the config, keeping comments and layout.

The file is edited as text, not re-dumped: ruamel's round trip re-indents sequences and
respaces flow mappings, and a pin must leave every byte but the pin as the user wrote it.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
from pathlib import Path
from typing import Any

from ..errors import ConfigError

_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
# the value after ``sha256:`` on its line: quoted, plain (up to a comment, comma or brace), or empty
_SHA_VALUE = re.compile(r"""(?P<key>["']?sha256["']?[ \t]*:[ \t]*)(?P<value>"[^"]*"|'[^']*'|[^\s#,}]*)""")


def write_pin(config_path: str | Path, sha256: str) -> bool:
    """Set ``dataset.sha256`` in the file; returns False when it already held that value."""
    path = Path(config_path)
    text = path.read_bytes().decode("utf-8")
    dataset = _dataset_section(_load(text, path), path)
    if str(dataset.get("sha256", "")) == sha256:
        return False
    edited = _with_pin(text, dataset, sha256, path)
    _check_only_the_pin_changed(text, edited, sha256, path)
    # write next to the file and rename, so an interrupted pin never leaves half a config
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(edited.encode("utf-8"))
        os.chmod(tmp, stat.S_IMODE(path.stat().st_mode))  # mkstemp makes it 0600; keep the user's mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def _load(text: str, path: Path) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        return YAML(typ="rt").load(text)
    except YAMLError as exc:
        raise ConfigError(f"cannot pin: the config is not valid YAML ({exc})", file=str(path)) from None


def _dataset_section(doc: Any, path: Path) -> Any:
    dataset = doc.get("dataset") if isinstance(doc, dict) else None
    if not isinstance(dataset, dict):
        raise ConfigError("no dataset: section to pin", file=str(path), key="dataset")
    return dataset


def _with_pin(text: str, dataset: Any, sha256: str, path: Path) -> str:
    lines = _LINES.findall(text)
    pin = f'"{sha256}"'
    if "sha256" in dataset:
        number, column = dataset.lc.key("sha256")
        line = lines[number]
        match = _SHA_VALUE.match(line, column)
        if match is None:
            raise ConfigError("cannot find the value of dataset.sha256 to replace", file=str(path),
                              line=number + 1, key="dataset.sha256")
        rest = line[match.end("value"):]
        if not match.group("value") and rest.startswith("#"):  # `sha256:  # todo`: keep the comment a comment
            pin += " "
        lines[number] = line[:match.start("value")] + pin + rest
        return "".join(lines)
    number, column = dataset.lc.key("path")
    if dataset.fa.flow_style():  # dataset: {path: ...}: put the pin first inside the braces
        line = lines[number]
        lines[number] = line[:column] + f"sha256: {pin}, " + line[column:]
        return "".join(lines)
    line = lines[number]
    ending = line[len(line.rstrip("\r\n")):] or _first_line_ending(lines)
    if not line.endswith(("\n", "\r")):  # the path line is the file's last and has no line break
        lines[number] = line + ending
    lines.insert(number + 1, " " * column + f"sha256: {pin}" + ending)
    return "".join(lines)


def _first_line_ending(lines: list[str]) -> str:
    for line in lines:
        stripped = line.rstrip("\r\n")
        if stripped != line:
            return line[len(stripped):]
    return "\n"


def _check_only_the_pin_changed(before: str, after: str, sha256: str, path: Path) -> None:
    # a layout the text edit did not foresee must fail loudly, never write a different config
    from ruamel.yaml import YAML

    old = YAML(typ="safe").load(before)
    new = YAML(typ="safe").load(after)
    if isinstance(old, dict) and isinstance(old.get("dataset"), dict):
        old["dataset"]["sha256"] = sha256
    if old != new:
        raise ConfigError("cannot pin this file's layout without changing other keys; "
                          f"set dataset.sha256: \"{sha256}\" by hand", file=str(path), key="dataset.sha256")
