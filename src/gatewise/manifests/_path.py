"""The edit path language: parse ``{kind=X}spec.containers[name=c].args[--flag]`` into segments.

The grammar is documented in ``gatewise.manifests``; this module only turns text into values
(and back, for messages), and knows nothing of YAML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Union

from ._errors import ManifestPathError

Field = tuple[str, ...]  # a dotted key path inside a list item or a document: ("metadata", "name")


@dataclass(frozen=True)
class Key:
    """A mapping key."""

    name: str


@dataclass(frozen=True)
class Index:
    """A list item by position; negative counts from the end."""

    index: int


@dataclass(frozen=True)
class Match:
    """The one list item (a mapping) whose fields equal the given values: ``[name=kserve-container]``."""

    conditions: tuple[tuple[Field, str], ...]


@dataclass(frozen=True)
class Arg:
    """A command-line argument in a list of strings: ``--flag=VALUE`` or ``--flag``, ``VALUE``."""

    flag: str


Segment = Union[Key, Index, Match, Arg]


@dataclass(frozen=True)
class Documents:
    """Which documents of a multi-document file an edit applies to: ``{*}`` or ``{kind=X,…}``."""

    every: bool
    conditions: tuple[tuple[Field, str], ...] = ()


@dataclass(frozen=True)
class EditPath:
    text: str
    documents: Documents | None
    segments: tuple[Segment, ...]


_INT = re.compile(r"-?[0-9]+")
_KEY_STOP = frozenset(".[]{}")
_FIELD_STOP = _KEY_STOP | {"=", ","}


def parse_path(text: str, file: str | None = None) -> EditPath:
    """Parse an edit path; a malformed one is a ``ManifestPathError`` saying where it went wrong."""
    return _Parser(text, file).path()


class _Parser:
    def __init__(self, text: str, file: str | None) -> None:
        self.text, self.file, self.pos = text, file, 0

    def fail(self, message: str) -> ManifestPathError:
        return ManifestPathError(f"invalid path at character {self.pos + 1}: {message}",
                                 file=self.file, path=self.text)

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise self.fail(f"expected {char!r}" + (f", found {self.peek()!r}" if self.peek() else ""))
        self.pos += 1

    def path(self) -> EditPath:
        if not self.text.strip():
            raise self.fail("the path is empty")
        documents = self.documents() if self.peek() == "{" else None
        segments: list[Segment] = []
        while self.pos < len(self.text):
            if self.peek() == "[":
                segments.append(self.bracket())
            else:
                if segments:
                    self.expect(".")
                segments.append(Key(self.key()))
        if not segments:
            raise self.fail("a document selector needs a key path after it")
        for segment in segments[:-1]:
            if isinstance(segment, Arg):
                raise ManifestPathError(f"an argument selector [{segment.flag}] must end the path",
                                        file=self.file, path=self.text)
        return EditPath(self.text, documents, tuple(segments))

    def documents(self) -> Documents:
        self.expect("{")
        if self.text.startswith("*}", self.pos):
            self.pos += 2
            return Documents(every=True)
        return Documents(every=False, conditions=self.conditions("}"))

    def key(self, stop: frozenset[str] = _KEY_STOP) -> str:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in stop:
            self.pos += 1
        name = self.text[start:self.pos]
        if not name:
            raise self.fail('expected a key (write ["a.b"] for a key that holds dots or brackets)')
        return name

    def bracket(self) -> Segment:
        self.expect("[")
        body_start = self.pos
        if self.peek() in ("'", '"'):
            name = self.quoted()
            self.expect("]")
            return Key(name)
        end = self.text.find("]", self.pos)
        body = self.text[self.pos:end] if end >= 0 else ""
        if end >= 0 and _INT.fullmatch(body):
            self.pos = end + 1
            return Index(int(body))
        if end >= 0 and body.startswith("-"):
            if body.strip() != body or not body.strip("-") or "=" in body:
                raise self.fail(f"invalid argument selector [{body}]: write [--flag]; the edit's "
                                "value becomes what follows --flag=")
            self.pos = end + 1
            return Arg(body)
        if "=" not in (body if end >= 0 else self.text[body_start:]):
            raise self.fail("a bracket holds an index [0], a key [\"a.b\"], an item selector "
                            "[name=value] or an argument [--flag]")
        return Match(self.conditions("]"))

    def conditions(self, close: str) -> tuple[tuple[Field, str], ...]:
        found: list[tuple[Field, str]] = []
        while True:
            field = [self.key(_FIELD_STOP)]
            while self.peek() == ".":
                self.pos += 1
                field.append(self.key(_FIELD_STOP))
            self.expect("=")
            found.append((tuple(field), self.value(close)))
            if self.peek() == ",":
                self.pos += 1
                continue
            self.expect(close)
            return tuple(found)

    def value(self, close: str) -> str:
        if self.peek() in ("'", '"'):
            return self.quoted()
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in (",", close):
            self.pos += 1
        return self.text[start:self.pos]

    def quoted(self) -> str:
        quote = self.peek()
        self.pos += 1
        out: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\\" and quote == '"' and self.pos + 1 < len(self.text):
                out.append(self.text[self.pos + 1])
                self.pos += 2
                continue
            if char == quote:
                if quote == "'" and self.text.startswith("''", self.pos):
                    out.append("'")
                    self.pos += 2
                    continue
                self.pos += 1
                return "".join(out)
            out.append(char)
            self.pos += 1
        raise self.fail(f"unclosed {quote}")


def format_segments(segments: tuple[Segment, ...]) -> str:
    """The path language text of ``segments``, for messages ("… not found under spec.predictor")."""
    out = ""
    for segment in segments:
        if isinstance(segment, Key):
            plain = segment.name and not (_KEY_STOP & set(segment.name)) and segment.name[0] not in "'\""
            out += (("." if out else "") + segment.name) if plain else f"[{_quote(segment.name)}]"
        elif isinstance(segment, Index):
            out += f"[{segment.index}]"
        elif isinstance(segment, Match):
            out += f"[{format_conditions(segment.conditions)}]"
        else:
            out += f"[{segment.flag}]"
    return out or "the document root"


def format_conditions(conditions: tuple[tuple[Field, str], ...]) -> str:
    def value(text: str) -> str:
        return _quote(text) if set(text) & set(",]}'\"") or text != text.strip() else text

    return ",".join(f"{'.'.join(field)}={value(text)}" for field, text in conditions)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
