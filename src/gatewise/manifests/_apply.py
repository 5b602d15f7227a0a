"""Apply edits to manifest text: locate every target, splice new scalars into their spans, verify.

Splicing (rather than ruamel's round-trip dump) is what keeps every byte outside the edited
values as it was: ruamel re-indents sequences, re-spaces flow maps and re-wraps long lines.
The edited text is parsed again and compared with the data the edits should produce, so a
splice that changed anything else is refused rather than written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from ._errors import ManifestError, ManifestValueError
from ._locate import Target, locate
from ._path import parse_path
from ._scalar import Rendered, Value, render
from ._tree import Document, parse_documents, shape


@dataclass(frozen=True)
class ManifestEdit:
    """Set the value at ``path`` (the path language is in ``gatewise.manifests``) to ``value``."""

    path: str
    value: Value


@dataclass(frozen=True)
class Change:
    """One value an edit reached: where, and what it was and becomes (equal when already set)."""

    path: str
    document: int  # 0-based index of the YAML document in the file
    line: int  # 1-based
    old: str
    new: str


@dataclass(frozen=True)
class EditResult:
    text: str
    changes: tuple[Change, ...]  # values that differed and are now set
    unchanged: tuple[Change, ...]  # values that already had the edit's value

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def apply_edits(text: str, edits: Sequence[ManifestEdit], *, file: str | None = None) -> EditResult:
    """Apply all ``edits`` to ``text`` or none: every edit is resolved before any text is made.

    ``file`` only names the manifest in error messages. Raises ``ManifestError`` subclasses.
    """
    documents = parse_documents(text, file)
    planned: dict[int, tuple[str, Target, Rendered]] = {}
    changes: list[Change] = []
    unchanged: list[Change] = []
    for edit in edits:
        if not isinstance(edit.value, (str, int, float)):  # bool is an int
            raise ManifestValueError(f"the value must be a string, number or boolean, not "
                                     f"{type(edit.value).__name__}", file=file, path=edit.path)
        path = parse_path(edit.path, file) if isinstance(edit.path, str) else None
        if path is None:
            raise ManifestValueError("the path must be a string", file=file, path=repr(edit.path))
        for target in locate(documents, path, file):
            node = target.node
            rendered = render(node, edit.value, prefix=target.prefix, flow=target.flow)
            earlier = planned.get(id(node))
            if earlier is not None and earlier[2].expect != rendered.expect:
                raise ManifestValueError(f"the edits {earlier[0]!r} and {edit.path!r} set the same value "
                                         "to different things", file=file, line=node.line, path=edit.path)
            planned[id(node)] = (edit.path, target, rendered)
            cut = len(target.prefix)
            change = Change(edit.path, target.document.index, node.line, node.value[cut:],
                            rendered.expect[1][cut:])
            (unchanged if rendered.expect == (node.tag, node.value) else changes).append(change)
    spans = sorted((t.node.start, t.node.end, r.text) for _, t, r in planned.values()
                   if r.expect != (t.node.tag, t.node.value))
    new_text = _splice(text, spans)
    _verify(documents, new_text, {key: r.expect for key, (_, _, r) in planned.items()}, file)
    return EditResult(new_text, tuple(changes), tuple(unchanged))


def _splice(text: str, spans: list[tuple[int, int, str]]) -> str:
    out, at = [], 0
    for start, end, replacement in spans:
        out += [text[at:start], replacement]
        at = end
    out.append(text[at:])
    return "".join(out)


def _verify(before: tuple[Document, ...], new_text: str, expected: dict[int, tuple[str, str]],
            file: str | None) -> None:
    """Refuse a result whose data is anything but the old data with the edited values replaced."""
    refusal = ("the edited manifest would not hold exactly the intended change (a gatewise bug, "
               "please report it); nothing was written")
    try:
        after = parse_documents(new_text, file)
    except ManifestError:
        raise ManifestError(refusal, file=file) from None
    if len(after) != len(before):
        raise ManifestError(refusal, file=file)
    for old, new in zip(before, after):
        if shape(old.root, expected) != shape(new.root):
            raise ManifestError(refusal, file=file, line=new.line)
