"""Write a new value as YAML scalar text in the style of the one it replaces.

The existing scalar decides the style (plain, 'single', "double") and, for plain numbers and
booleans, the type; the new value decides the text. Plain text is only kept where it reads
back as the same value under both YAML 1.2 (ruamel) and YAML 1.1 (go-yaml v2, which Kubernetes,
Helm and Kustomize use: there ``on`` / ``yes`` are booleans and ``0755`` is octal).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from ._tree import STR, Scalar

Value = str | int | float | bool

_TYPE_TAGS = {bool: "tag:yaml.org,2002:bool", int: "tag:yaml.org,2002:int",
              float: "tag:yaml.org,2002:float"}
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\0": "\\0",
            "\x07": "\\a", "\b": "\\b", "\x0b": "\\v", "\x0c": "\\f", "\x1b": "\\e",
            "\x85": "\\N", "\u2028": "\\L", "\u2029": "\\P"}


@dataclass(frozen=True)
class Rendered:
    text: str  # what replaces the old scalar's span
    expect: tuple[str, str]  # the (tag, value) the re-parsed scalar must have


def render(old: Scalar, value: Value, *, prefix: str = "", flow: bool = False) -> Rendered:
    """The scalar text for ``prefix + value`` at ``old``'s place (``flow``: inside [...] / {...})."""
    if not isinstance(value, str):
        literal = _literal(value)
        if prefix or (old.explicit and old.tag == STR):
            return _as_string(old, prefix + literal, flow)
        return Rendered(literal, (old.tag if old.explicit else _TYPE_TAGS[type(value)], literal))
    if old.style is None and not old.explicit and not prefix and old.tag != STR:
        # A plain number / boolean / null stays plain when the new text reads as one too, so
        # ``replicas: 2`` set to "3" (templates render strings) stays an int.
        tags = plain_tags(value, flow)
        if tags is not None and tags[0] == tags[1] != STR:
            return Rendered(value, (tags[0], value))
    return _as_string(old, prefix + value, flow)


def _as_string(old: Scalar, text: str, flow: bool) -> Rendered:
    tag = old.tag if old.explicit else STR
    if old.style is None:
        tags = plain_tags(text, flow)
        if tags is not None and (old.explicit or tags == (STR, STR)):
            return Rendered(text, (tag, text))
    elif old.style == "'" and all(_printable(c) and c not in "\r\n\x85\u2028\u2029" for c in text):
        return Rendered("'" + text.replace("'", "''") + "'", (tag, text))
    return Rendered(double_quoted(text), (tag, text))


@lru_cache(maxsize=1024)
def plain_tags(text: str, flow: bool) -> tuple[str, str] | None:
    """(YAML 1.2 tag, YAML 1.1 tag) of ``text`` as a plain scalar, or None if it cannot be one here."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError
    from ruamel.yaml.events import ScalarEvent
    from ruamel.yaml.nodes import ScalarNode
    from ruamel.yaml.resolver import VersionedResolver

    if not text or text != text.strip() or not all(_printable(c) and c not in "\r\n\x85\u2028\u2029"
                                                   for c in text):
        return None
    probes = [f"[{text}]\n", f"{{k: {text}}}\n"] if flow else [f"k: {text}\n", f"- {text}\n"]
    for probe in probes:
        try:
            scalars = [e for e in YAML(typ="safe", pure=True).parse(probe) if isinstance(e, ScalarEvent)]
        except YAMLError:
            return None
        values = [e for e in scalars if e.value != "k"]
        if len(values) != 1 or values[0].style is not None or values[0].value != text:
            return None
    return tuple(str(VersionedResolver(version=v).resolve(ScalarNode, text, (True, False)))
                 for v in ((1, 2), (1, 1)))  # type: ignore[return-value]


def double_quoted(text: str) -> str:
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif not _printable(char):
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else
                       f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _printable(char: str) -> bool:
    """YAML's printable set (c-printable), less the BOM."""
    code = ord(char)
    return (char in "\t\n\r\x85" or 0x20 <= code <= 0x7E or 0xA0 <= code <= 0xD7FF
            or 0xE000 <= code <= 0xFFFD and code != 0xFEFF or 0x10000 <= code <= 0x10FFFF)


def _literal(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value)
    mantissa, _, exponent = text.partition("e")
    if exponent and "." not in mantissa:  # YAML 1.1 floats need the dot: 1e+20 would be a string
        text = f"{mantissa}.0e{exponent}"
    return text
