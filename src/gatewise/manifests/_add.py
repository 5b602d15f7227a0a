"""Set a value, adding its key when the mapping above it lacks it (KServe's ``canaryTrafficPercent``).

Promotion sets keys that a manifest often does not have yet. The new ``key: value`` line goes
right above the mapping's first key, with its indentation, so every other byte stays as it was;
the result is parsed again and must hold the old data plus that one pair.
"""

from __future__ import annotations

import json
import re
from typing import Sequence

from ._apply import Change, EditResult, ManifestEdit, apply_edits
from ._errors import ManifestError, ManifestPathError, ManifestValueError
from ._locate import MapTarget, Target, locate
from ._path import EditPath, Key, parse_path
from ._scalar import Value
from ._tree import Document, Map, Node, Scalar, Seq, parse_documents, resolve, shape

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-/]*$")


def set_or_add(text: str, edits: Sequence[ManifestEdit], *, file: str | None = None) -> EditResult:
    """``apply_edits``, except that an edit whose last key is missing from its mapping adds the key.

    All edits are resolved before any text is returned. When every path is there (every promotion
    after the first) this is one ``apply_edits`` call.
    """
    try:
        return apply_edits(text, edits, file=file)
    except ManifestPathError:
        pass
    documents = parse_documents(text, file)
    present: list[ManifestEdit] = []
    missing: list[tuple[ManifestEdit, ManifestPathError]] = []
    for edit in edits:
        try:
            locate(documents, parse_path(edit.path, file), file)
            present.append(edit)
        except ManifestPathError as error:
            missing.append((edit, error))
    result = apply_edits(text, present, file=file) if present else EditResult(text, (), ())
    changes, unchanged = list(result.changes), list(result.unchanged)
    for edit, error in missing:
        result = _add_key(result.text, edit, file, error)
        for added in sorted(result.changes, key=lambda c: c.line):  # lines below a new one move down
            changes = [_moved(c, added.line) for c in changes]
            unchanged = [_moved(c, added.line) for c in unchanged]
        changes += result.changes
    order = lambda c: (c.document, c.line)  # noqa: E731
    return EditResult(result.text, tuple(sorted(changes, key=order)), tuple(sorted(unchanged, key=order)))


def _moved(change: Change, inserted_line: int) -> Change:
    if change.line < inserted_line:
        return change
    return Change(change.path, change.document, change.line + 1, change.old, change.new)


def _add_key(text: str, edit: ManifestEdit, file: str | None, missing: ManifestPathError) -> EditResult:
    path = parse_path(edit.path, file)
    if not path.segments or not isinstance(path.segments[-1], Key):
        raise missing
    name = path.segments[-1].name
    parent = EditPath(path.text.rsplit(".", 1)[0] if "." in path.text else path.text, path.documents,
                      path.segments[:-1])
    documents = parse_documents(text, file)
    try:
        targets: list[MapTarget] = locate(documents, parent, file, want_map=True)
    except ManifestError:
        raise missing from None  # the mapping itself is not there: the original error says more
    if any(_has_key(t, name) for t in targets):
        raise missing  # present in some chosen document: not a key to add
    if not _PLAIN_KEY.match(name):
        raise ManifestValueError(f"cannot add the key {name!r}: only plain keys are added; write it in the "
                                 "manifest first", file=file, path=edit.path)
    literal = _literal(edit.value, file, edit.path)
    inserts = sorted((_insertion(text, t, file, edit.path) for t in targets), reverse=True)
    new_text = text
    for offset, indent, newline in inserts:
        new_text = f"{new_text[:offset]}{indent}{name}: {literal}{newline}{new_text[offset:]}"
    changes = _verify(documents, new_text, path, name, edit.value, file)
    return EditResult(new_text, changes, ())


def _has_key(target: MapTarget, name: str) -> bool:
    return any(isinstance(k := resolve(key), Scalar) and k.value == name for key, _ in target.node.pairs)


def _insertion(text: str, target: MapTarget, file: str | None, path: str) -> tuple[int, str, str]:
    """Where the new line goes (the start of the first key's line), its indentation, its line ending."""
    def refuse(reason: str, line: int) -> ManifestValueError:
        return ManifestValueError(f"cannot add a key here: {reason}; add it to the manifest by hand first",
                                  file=file, line=line, path=path)

    mapping = target.node
    if mapping.flow:
        raise refuse("the mapping is written in flow style ({...})", mapping.line)
    if not mapping.pairs:
        raise refuse("the mapping is empty", mapping.line)
    first = mapping.pairs[0][0]
    if not isinstance(first, Scalar) or first.explicit:
        raise refuse("its first key has a tag or is an alias", mapping.line)
    line_start = text.rfind("\n", 0, first.start) + 1
    indent = text[line_start:first.start]
    if indent.strip(" "):
        raise refuse("its first key shares a line with `-`, an anchor or a tag", first.line)
    line_end = text.find("\n", first.start)
    newline = "\r\n" if line_end > 0 and text[line_end - 1] == "\r" else "\n"
    return line_start, indent, newline


def _literal(value: Value, file: str | None, path: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a double-quoted YAML scalar
    raise ManifestValueError(f"the value must be a string, number or boolean, not {type(value).__name__}",
                             file=file, path=path)


def _verify(before: tuple[Document, ...], new_text: str, path: EditPath, name: str, value: Value,
            file: str | None) -> tuple[Change, ...]:
    """The edited text must parse to the old data plus the one pair at the path, nothing else."""
    refusal = ("adding the key would not give exactly the intended manifest (a gatewise bug, please "
               "report it); nothing was written")
    try:
        after = parse_documents(new_text, file)
        targets = locate(after, path, file)
    except ManifestError:
        raise ManifestError(refusal, file=file, path=path.text) from None
    added = {}
    for target in targets:
        for key, node in _pairs_holding(after, target, name):
            added[id(key)] = (target.document.index, node)
    expected = str(value).lower() if isinstance(value, bool) else str(value)
    if len(after) != len(before) or any(node.value != expected for _, node in added.values()):
        raise ManifestError(refusal, file=file, path=path.text)
    skip = frozenset(added)
    for old, new in zip(before, after):
        if shape(old.root) != shape(new.root, skip_keys=skip):
            raise ManifestError(refusal, file=file, line=new.line, path=path.text)
    return tuple(Change(path.text, index, node.line, "", node.value) for index, node in added.values())


def _pairs_holding(documents: tuple[Document, ...], target: Target, name: str) -> list[tuple[Scalar, Scalar]]:
    """The ``(key, value)`` pairs whose value is ``target``'s scalar and whose key is ``name``."""
    found: list[tuple[Scalar, Scalar]] = []

    def visit(node: Node) -> None:
        if isinstance(node, Map):
            for key, child in node.pairs:
                if child is target.node and isinstance(key, Scalar) and key.value == name:
                    found.append((key, child))
                visit(child)
        elif isinstance(node, Seq):
            for child in node.items:
                visit(child)

    for document in documents:
        visit(document.root)
    return found
