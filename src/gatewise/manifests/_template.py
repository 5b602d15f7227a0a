"""Render edit values from templates such as ``"{model.source}"`` or ``"v{registry.version}"``.

Placeholders are dotted names looked up in a context of nested mappings (or objects);
``{{`` and ``}}`` are literal braces. A placeholder with no value is an error, never "".
"""

from __future__ import annotations

import re
from typing import Any, Iterator, Mapping

from ._apply import ManifestEdit
from ._errors import PlaceholderError

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)*")
_MISSING = object()


def render_value(template: str, context: Mapping[str, Any]) -> str:
    """``template`` with each ``{dotted.name}`` replaced by its value in ``context``."""
    unknown: list[str] = []

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        name = (match.group(1) or "").strip()
        if match.group(1) is None or not _NAME.fullmatch(name):
            raise PlaceholderError(f"invalid placeholder {token!r} in {template!r}: write "
                                   "{model.source}, and {{ or }} for a literal brace")
        value = _lookup(context, name)
        if value is _MISSING:
            unknown.append(name)
            return ""
        return _text(value)

    rendered = _TOKEN.sub(replace, template)
    if unknown:
        known = ", ".join(f"{{{n}}}" for n in sorted(_names(context))) or "none"
        names = ", ".join(f"{{{n}}}" for n in dict.fromkeys(unknown))
        raise PlaceholderError(f"unknown placeholder{'s' if len(unknown) > 1 else ''} {names} in "
                               f"{template!r}; known: {known}")
    return rendered


def render_edits(settings: Mapping[str, Any], context: Mapping[str, Any]) -> tuple[ManifestEdit, ...]:
    """The edits of a config's ``set:`` block (path → value), string values rendered as templates."""
    return tuple(ManifestEdit(path, render_value(value, context) if isinstance(value, str) else value)
                 for path, value in settings.items())


def _lookup(context: Any, name: str) -> Any:
    if isinstance(context, Mapping) and name in context:  # a flat {"model.source": …} works too
        return _present(context[name])
    node = context
    for part in name.split("."):
        if isinstance(node, Mapping):
            node = node.get(part, _MISSING)
        else:
            node = getattr(node, part, _MISSING)
        if node is _MISSING or node is None:
            return _MISSING
    return _present(node)


def _present(value: Any) -> Any:
    return _MISSING if value is None or isinstance(value, Mapping) else value


def _text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _names(context: Any, prefix: str = "") -> Iterator[str]:
    if not isinstance(context, Mapping):
        if prefix:
            yield prefix
        return
    for key, value in context.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if value is None:
            continue
        yield from _names(value, name) if isinstance(value, Mapping) else [name]
