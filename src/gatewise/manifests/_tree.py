"""The manifest as light trees of nodes (one per YAML document) that know where each value sits.

Built from ruamel's parse events rather than its composer or round-trip loader: the composer
hands back the anchored node for an alias, hiding that an edit there changes every alias, and
neither gives the character span of a scalar without its ``&anchor`` / ``!tag``.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Any, Iterator, Mapping, Union

from ._errors import ManifestSyntaxError

STR = "tag:yaml.org,2002:str"


@dataclass(frozen=True, eq=False)  # identity matters: edits are keyed by the node they replace
class Scalar:
    value: str
    style: str | None  # None (plain), '"', "'", '|', '>'
    tag: str  # resolved (YAML 1.2 core schema) or explicit
    explicit: bool  # the tag is written in the text (!!str, !Custom)
    start: int  # span of the scalar's own text, after any &anchor / !tag
    end: int
    line: int  # 1-based


@dataclass(frozen=True, eq=False)
class Seq:
    items: tuple[Node, ...]
    flow: bool
    line: int


@dataclass(frozen=True, eq=False)
class Map:
    pairs: tuple[tuple[Node, Node], ...]
    flow: bool
    line: int


@dataclass(frozen=True, eq=False)
class Alias:
    name: str
    target: Node
    line: int


Node = Union[Scalar, Seq, Map, Alias]


@dataclass(frozen=True)
class Document:
    index: int  # 0-based position in the file
    root: Node
    line: int


class _Lines:
    """Character offset → 1-based line, counting '\\n' only (what editors and diffs count)."""

    def __init__(self, text: str) -> None:
        self.starts = [0] + [i + 1 for i, char in enumerate(text) if char == "\n"]

    def __call__(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)


def parse_documents(text: str, file: str | None = None) -> tuple[Document, ...]:
    """Every document of ``text``; invalid YAML is a ``ManifestSyntaxError`` naming the line."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        events = list(YAML(typ="safe", pure=True).parse(text))  # no comment scanning: ~4x faster
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(p for p in (exc.context, exc.problem) if p)
        raise ManifestSyntaxError(f"invalid YAML: {problem}", file=file,
                                  line=mark.line + 1 if mark is not None else None) from None
    except YAMLError as exc:
        raise ManifestSyntaxError(f"invalid YAML: {exc}", file=file) from None
    return tuple(_Builder(text, file).documents(iter(events)))


class _Builder:
    def __init__(self, text: str, file: str | None) -> None:
        from ruamel.yaml.resolver import VersionedResolver

        self.text, self.file, self.line_of = text, file, _Lines(text)
        self.resolver = VersionedResolver(version=(1, 2))
        self.anchors: dict[str, Node] = {}

    def documents(self, events: Iterator[Any]) -> Iterator[Document]:
        from ruamel.yaml.events import DocumentEndEvent, DocumentStartEvent

        index = 0
        for event in events:
            if isinstance(event, DocumentStartEvent):
                self.anchors = {}
                line = self.line_of(event.start_mark.index)
                root = self.node(next(events), events)
                end = next(events)
                assert isinstance(end, DocumentEndEvent)
                yield Document(index, root, line)
                index += 1

    def node(self, event: Any, events: Iterator[Any]) -> Node:
        from ruamel.yaml.events import (AliasEvent, MappingEndEvent, MappingStartEvent,
                                        ScalarEvent, SequenceEndEvent)
        from ruamel.yaml.nodes import ScalarNode

        line = self.line_of(event.start_mark.index)
        node: Node
        if isinstance(event, AliasEvent):
            if event.anchor not in self.anchors:
                raise ManifestSyntaxError(f"invalid YAML: undefined alias *{event.anchor}",
                                          file=self.file, line=line)
            return Alias(event.anchor, self.anchors[event.anchor], line)
        explicit = str(event.ctag) if event.ctag is not None and str(event.ctag) != "!" else None
        if isinstance(event, ScalarEvent):
            start = event.start_mark.index
            if event.anchor is not None or explicit is not None:
                start = _skip_properties(self.text, start)
            if explicit is not None:
                tag = explicit
            elif event.style is None:
                tag = str(self.resolver.resolve(ScalarNode, event.value, (True, False)))
            else:
                tag = STR
            node = Scalar(event.value, event.style, tag, explicit is not None, start,
                          event.end_mark.index, self.line_of(start))
        elif isinstance(event, MappingStartEvent):
            pairs = []
            while not isinstance(key_event := next(events), MappingEndEvent):
                key = self.node(key_event, events)
                pairs.append((key, self.node(next(events), events)))
            node = Map(tuple(pairs), bool(event.flow_style), line)
        else:
            items = []
            while not isinstance(item_event := next(events), SequenceEndEvent):
                items.append(self.node(item_event, events))
            node = Seq(tuple(items), bool(event.flow_style), line)
        if event.anchor is not None:
            self.anchors[event.anchor] = node
        return node


def _skip_properties(text: str, at: int) -> int:
    """The offset of a scalar's own text after its ``&anchor`` and ``!tag`` properties."""
    while at < len(text) and text[at] in "&!":
        while at < len(text) and not text[at].isspace():
            at += 1
        while at < len(text) and text[at].isspace():
            at += 1
    return at


def resolve(node: Node) -> Node:
    """The node an alias stands for (a non-alias is itself)."""
    while isinstance(node, Alias):
        node = node.target
    return node


def shape(node: Node, replaced: Mapping[int, tuple[str, str]] | None = None,
          skip_keys: frozenset[int] = frozenset()) -> Any:
    """A comparable value of the data under ``node``: scalars as (tag, value), aliases followed.

    ``replaced`` maps ``id(scalar)`` to the (tag, value) it should have, so the data expected after
    an edit can be compared with the data actually re-parsed from the edited text. Because aliases
    share the anchored node, replacing an anchored scalar changes its aliases too, as YAML says.
    ``skip_keys``: ``id``s of key nodes whose pairs are left out (a key just added).
    """
    return _Shaper(replaced or {}, skip_keys).shape(node)


class _Shaper:
    def __init__(self, replaced: Mapping[int, tuple[str, str]], skip_keys: frozenset[int]) -> None:
        self.replaced, self.skip_keys, self.seen = replaced, skip_keys, {}  # type: dict[int, Any]

    def shape(self, node: Node) -> Any:
        node = resolve(node)
        if id(node) not in self.seen:  # an alias shares its anchor's shape
            self.seen[id(node)] = self._build(node)
        return self.seen[id(node)]

    def _build(self, node: Node) -> Any:
        if isinstance(node, Scalar):
            return self.replaced.get(id(node), (node.tag, node.value))
        if isinstance(node, Seq):
            return ("seq", tuple(self.shape(item) for item in node.items))
        assert isinstance(node, Map)
        return ("map", tuple((self.shape(k), self.shape(v)) for k, v in node.pairs
                             if id(k) not in self.skip_keys))
