"""Round-trip edits of Kubernetes / GitOps YAML: text in, text out, only the edited values change.

Every byte outside the replaced values is kept (comments, key order, quoting, indentation,
anchors, flow style, ``---`` separators, CRLF, a missing final newline), so the diff of an
edit touches only the lines whose values change.

Path language (``ManifestEdit.path``)::

    spec.predictor.model.storageUri                      dotted mapping keys
    metadata.annotations["serving.kserve.io/deploymentMode"]   a key with dots, quoted
    spec.predictor.containers[0].image                   a list item by index (-1: the last)
    spec.predictor.containers[name=kserve-container].image   the one item whose name is …
    images[name=ghcr.io/org/model-server].newTag         (several conditions: [a=1,b.c=2];
                                                          quote values holding , ] or quotes)
    spec.predictor.containers[name=kserve-container].args[--model_revision]
        the value of an argument: ``--model_revision=VALUE`` in one item, or the item after a
        bare ``--model_revision``; must end the path
    {kind=InferenceService,metadata.name=qa}spec.predictor.model.storageUri
        only in the documents whose fields match (the path must be in each of them)
    {*}spec.predictor.model.storageUri
        in every document that holds the path (at least one)

Without a ``{…}`` prefix the path must be in exactly one document of the file: a path found
in two documents is an error that asks for a selector, never a silent double edit.

The path must end at an existing single-line scalar. Not found, several matches, a path through
a scalar, through an alias or a ``<<`` merge, a block scalar (``|``), an empty value, or invalid
YAML: a ``ManifestError`` (an ``InputError``, exit 2) naming file, line and path, raised before
any text is produced.

Values: the replaced scalar keeps its quoting style; a plain one is quoted ("…") only when the
new text would not read back as the same string under YAML 1.2 and 1.1 (``"true"``, ``"1.0"``,
``"on"``, ``"a: b"``). A plain number or boolean stays plain when the new text is one too.
Setting a value equal to the current one changes nothing (``EditResult.changed`` is False).

``set_or_add`` also adds a missing last key (``spec.predictor.canaryTrafficPercent``) to a block
mapping that exists, as a new line above the mapping's first key.
"""

from __future__ import annotations

from ._add import set_or_add
from ._apply import Change, EditResult, ManifestEdit, apply_edits
from ._diff import unified_diff
from ._errors import (ManifestError, ManifestPathError, ManifestSyntaxError, ManifestValueError,
                      PlaceholderError)
from ._template import render_edits, render_value

__all__ = [
    "Change",
    "EditResult",
    "ManifestEdit",
    "ManifestError",
    "ManifestPathError",
    "ManifestSyntaxError",
    "ManifestValueError",
    "PlaceholderError",
    "apply_edits",
    "render_edits",
    "render_value",
    "set_or_add",
    "unified_diff",
]
