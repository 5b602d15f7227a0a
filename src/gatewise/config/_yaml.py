"""Read YAML with ruamel.yaml, remembering the line of every key, and interpolate ``${VAR}``.

The line map lets every later error (pydantic, thresholds, templates) name file, line and key.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any, Mapping

from ..errors import ConfigError

Path_ = tuple  # a key path: ("suites", 0, "name")

_VAR = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}")


@dataclass(frozen=True)
class LoadedYaml:
    data: Any
    lines: Mapping[Path_, int]  # 1-based line of each key / item
    file: str

    def line_of(self, path: Path_) -> int | None:
        """The line of the deepest part of ``path`` that exists in the file."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None


def key_path(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def parse_yaml(text: str, file: str, env: Mapping[str, str] | None = None, *,
               raw: frozenset[Path_] = frozenset()) -> LoadedYaml:
    """Parse and interpolate; strings at the key paths in ``raw`` are left uninterpolated."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    yaml = YAML(typ="rt")
    try:
        root = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = " ".join(p for p in (exc.context, exc.problem) if p)
        raise ConfigError(f"YAML syntax error: {problem}", file=file, line=line) from None
    except YAMLError as exc:
        raise ConfigError(f"YAML error: {exc}", file=file) from None
    if root is None:
        root = {}
    if not isinstance(root, dict):
        raise ConfigError("the config must be a mapping of keys (endpoint:, prompt:, dataset:, …)",
                          file=file, line=1)
    lines: dict[Path_, int] = {(): 1}
    data = _plain(root, (), lines, file, os.environ if env is None else env, raw)
    return LoadedYaml(data=data, lines=lines, file=file)


def _plain(node: Any, path: Path_, lines: dict[Path_, int], file: str, env: Mapping[str, str],
           raw: frozenset[Path_] = frozenset()) -> Any:
    """Turn ruamel's commented nodes into plain values, recording lines and interpolating."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            child = (*path, str(key))
            try:
                lines[child] = node.lc.key(key)[0] + 1
            except (AttributeError, KeyError, TypeError):
                lines[child] = lines.get(path, 1)
            out[str(key)] = _plain(value, child, lines, file, env, raw)
        return out
    if isinstance(node, list):
        items = []
        for index, value in enumerate(node):
            child = (*path, index)
            try:
                lines[child] = node.lc.item(index)[0] + 1
            except (AttributeError, KeyError, TypeError, IndexError):
                lines[child] = lines.get(path, 1)
            items.append(_plain(value, child, lines, file, env, raw))
        return items
    if isinstance(node, str):
        return str(node) if path in raw else _interpolate(str(node), path, lines, file, env)
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return node


def _interpolate(text: str, path: Path_, lines: Mapping[Path_, int], file: str,
                 env: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, default = match.group(1), match.group(2)
        value = env.get(name)
        if value is None or (value == "" and ":-" in match.group(0)):
            if default is None:
                raise ConfigError(
                    f"environment variable {name} is not set (write ${{{name}:-default}} to give a default)",
                    file=file, line=lines.get(path), key=key_path(path),
                )
            return default
        return value

    return _VAR.sub(replace, text) if "$" in text else text
