"""Find the one scalar an edit path names, in the documents it selects, or say where the walk stopped.

A path that is simply absent from a document is a ``Miss`` (another document may hold it);
a path that is there but ambiguous or not editable is an error at once, wherever it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._errors import ManifestPathError, ManifestValueError
from ._path import Arg, Documents, EditPath, Field, Index, Key, Match, format_conditions, format_segments
from ._tree import Alias, Document, Map, Node, Scalar, Seq, resolve


@dataclass(frozen=True)
class Target:
    """The scalar an edit replaces; for ``[--flag]`` in ``--flag=VALUE`` form, ``prefix`` is ``--flag=``."""

    node: Scalar
    prefix: str
    flow: bool  # inside a flow collection, where `,[]{}` end a plain scalar
    document: Document


@dataclass(frozen=True)
class MapTarget:
    """The mapping a path leads to, where a missing key is added."""

    node: Map
    flow: bool
    document: Document


class Miss(Exception):
    """The path is not in this document: how far the walk got, and why it stopped there."""

    def __init__(self, reason: str, line: int, depth: int) -> None:
        super().__init__(reason)
        self.reason, self.line, self.depth = reason, line, depth


def locate(documents: tuple[Document, ...], path: EditPath, file: str | None, *,
           want_map: bool = False) -> list[Any]:
    """The targets of ``path`` under the document rule (see the package docstring).

    ``want_map``: the path must end at a mapping; the targets are ``MapTarget`` values.
    """
    def error(cls: type, reason: str, line: int | None) -> Exception:
        return cls(reason, file=file, line=line, path=path.text)

    if path.documents is not None and not path.documents.every:
        chosen = [d for d in documents if _document_matches(d, path.documents)]
        if not chosen:
            here = "; documents here: " + ", ".join(_describe(d) for d in documents) if documents else ""
            raise error(ManifestPathError, "no document matches "
                        f"{{{format_conditions(path.documents.conditions)}}}{here}", None)
        targets = []
        for document in chosen:
            try:
                targets.append(_walk(document, path, file, want_map))
            except Miss as miss:
                raise error(ManifestPathError, miss.reason, miss.line) from None
        return targets

    targets, misses = [], []
    for document in documents:
        try:
            targets.append(_walk(document, path, file, want_map))
        except Miss as miss:
            misses.append(miss)
    if not targets:
        if not misses:
            raise error(ManifestPathError, "the manifest has no YAML documents", None)
        deepest = max(misses, key=lambda m: m.depth)
        raise error(ManifestPathError, deepest.reason, deepest.line)
    if len(targets) > 1 and path.documents is None:
        where = ", ".join(_describe(t.document) for t in targets)
        raise error(ManifestPathError, f"the path is in {len(targets)} documents ({where}); "
                    "prefix it with {kind=…,metadata.name=…} to pick one, or {*} for all", None)
    return targets


def _walk(document: Document, path: EditPath, file: str | None, want_map: bool = False) -> Any:
    node, line, flow = document.root, document.line, False
    segments = path.segments
    for depth, segment in enumerate(segments):
        here = format_segments(segments[:depth])
        if isinstance(node, Alias):
            raise _through_alias(node, path, file)
        if isinstance(segment, Arg):
            return _argument(node, segment, document, here, line, depth, path, file)
        if isinstance(node, Scalar):
            what = f"the value {node.value!r}" if node.value else "an empty value"
            raise Miss(f"{here} is {what}, not a mapping or a list, so it has no "
                       f"{format_segments(segments[depth:depth + 1]).lstrip('.')}", node.line, depth)
        flow = node.flow
        if isinstance(segment, Key):
            if not isinstance(node, Map):
                raise Miss(f"{here} is a list; select an item with [N] or [field=value]", line, depth)
            found = [(k, v) for k, v in node.pairs if _key_is(k, segment.name)]
            if not found:
                merged = " (it may come from a << merge, which gatewise does not edit through)" \
                    if any(_key_is(k, "<<") for k, _ in node.pairs) else ""
                raise Miss(f"key {segment.name!r} not found under {here}{merged}", line, depth)
            if len(found) > 1:
                raise ManifestPathError(f"key {segment.name!r} appears {len(found)} times under {here}",
                                        file=file, line=found[1][0].line, path=path.text)
            key, node = found[0]
            line = key.line
        else:
            if not isinstance(node, Seq):
                raise Miss(f"{here} is a mapping, not a list; use .key", line, depth)
            if isinstance(segment, Index):
                if not -len(node.items) <= segment.index < len(node.items):
                    raise Miss(f"index {segment.index} is out of range: {here} has "
                               f"{len(node.items)} item(s)", line, depth)
                node = node.items[segment.index]
            else:
                node = _select(node, segment, here, line, depth, path, file)
            line = node.line
    if isinstance(node, Alias):
        raise _through_alias(node, path, file)
    if want_map:
        if not isinstance(node, Map):
            raise Miss(f"{path.text} is not a mapping", line, len(segments))
        return MapTarget(node, node.flow, document)
    return Target(_editable(node, line, path, file), "", flow, document)


def _argument(node: Node, segment: Arg, document: Document, here: str, line: int, depth: int,
              path: EditPath, file: str | None) -> Target:
    if not isinstance(node, Seq):
        raise Miss(f"{here} is not a list of arguments", line, depth)
    items = [resolve(item) for item in node.items]
    flag, joined = segment.flag, segment.flag + "="
    hits = [i for i, item in enumerate(items)
            if isinstance(item, Scalar) and (item.value == flag or item.value.startswith(joined))]
    if not hits:
        raise Miss(f"no argument {flag} in {here}", line, depth)
    if len(hits) > 1:
        lines = ", ".join(str(node.items[i].line) for i in hits)
        raise ManifestPathError(f"argument {flag} appears {len(hits)} times in {here} (lines {lines})",
                                file=file, line=node.items[hits[1]].line, path=path.text)
    at = hits[0]
    item = node.items[at]
    if isinstance(item, Alias):
        raise _through_alias(item, path, file)
    assert isinstance(item, Scalar)
    if item.value.startswith(joined):
        return Target(_editable(item, item.line, path, file), joined, node.flow, document)
    following = node.items[at + 1] if at + 1 < len(node.items) else None
    if following is None or not isinstance(resolve(following), Scalar) \
            or resolve(following).value.startswith("--"):  # type: ignore[union-attr]
        raise ManifestValueError(f"argument {flag} has no value after it; write it as {flag}=VALUE "
                                 "or give it a value item", file=file, line=item.line, path=path.text)
    if isinstance(following, Alias):
        raise _through_alias(following, path, file)
    return Target(_editable(following, following.line, path, file), "", node.flow, document)


def _select(node: Seq, segment: Match, here: str, line: int, depth: int, path: EditPath,
            file: str | None) -> Node:
    hits = [item for item in node.items if _item_matches(resolve(item), segment.conditions)]
    wanted = format_conditions(segment.conditions)
    if not hits:
        seen = sorted({v for item in node.items
                       if (v := _field(resolve(item), segment.conditions[0][0])) is not None})
        hint = f"; {'.'.join(segment.conditions[0][0])} here: {', '.join(seen)}" if seen else ""
        raise Miss(f"no item of {here} has {wanted}{hint}", line, depth)
    if len(hits) > 1:
        lines = ", ".join(str(item.line) for item in hits)
        raise ManifestPathError(f"{len(hits)} items of {here} have {wanted} (lines {lines}); "
                                "add a condition to pick one", file=file, line=hits[1].line,
                                path=path.text)
    return hits[0]


def _editable(node: Node, line: int, path: EditPath, file: str | None) -> Scalar:
    def refuse(reason: str, line: int) -> ManifestValueError:
        return ManifestValueError(reason, file=file, line=line, path=path.text)

    if isinstance(node, Map):
        raise refuse("the path ends at a mapping, not a value; name a key inside it", line)
    if isinstance(node, Seq):
        raise refuse("the path ends at a list, not a value; select an item with [N] or [field=value]",
                     line)
    assert isinstance(node, Scalar)
    if node.style in ("|", ">"):
        raise refuse(f"the value is a block scalar ({node.style}); gatewise only replaces "
                     "single-line values", node.line)
    if node.start == node.end:
        raise refuse("the key has no value to replace (it is empty); write a placeholder value "
                     "such as \"\" or ~ in the manifest first", line)
    return node


def _through_alias(node: Alias, path: EditPath, file: str | None) -> ManifestValueError:
    target_line = node.target.line
    return ManifestValueError(
        f"the path goes through the alias *{node.name}; editing there would change the anchor "
        f"&{node.name} (line {target_line}) and every other alias of it: edit the anchor's own path",
        file=file, line=node.line, path=path.text)


def _document_matches(document: Document, selector: Documents) -> bool:
    return _item_matches(resolve(document.root), selector.conditions)


def _item_matches(node: Node, conditions: tuple[tuple[Field, str], ...]) -> bool:
    return all(_field(node, field) == value for field, value in conditions)


def _field(node: Node, field: Field) -> str | None:
    """The scalar value at ``field`` (keys only) under ``node``, or None."""
    for name in field:
        if not isinstance(node, Map):
            return None
        values = [resolve(v) for k, v in node.pairs if _key_is(k, name)]
        if len(values) != 1:
            return None
        node = values[0]
    return node.value if isinstance(node, Scalar) else None


def _key_is(key: Node, name: str) -> bool:
    key = resolve(key)
    return isinstance(key, Scalar) and key.value == name


def _describe(document: Document) -> str:
    kind, name = _field(document.root, ("kind",)), _field(document.root, ("metadata", "name"))
    label = "/".join(p for p in (kind, name) if p)
    return f"document {document.index + 1} at line {document.line}" + (f" ({label})" if label else "")
