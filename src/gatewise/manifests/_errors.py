"""The errors a manifest edit can raise: all bad input (exit 2), all raised before any text is made.

They live here rather than in ``gatewise/errors.py`` only while that file is being edited by
another change; they subclass ``InputError`` so the CLI maps them to exit 2 already.
"""

from __future__ import annotations

from ..errors import InputError


class ManifestError(InputError):
    """A manifest edit cannot be made; the message names file, line and key path."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 path: str | None = None) -> None:
        self.file, self.line, self.path = file, line, path
        self.reason = message
        where = ":".join(str(p) for p in (file, line) if p is not None)
        prefix = " ".join(p for p in (where, f"[{path}]" if path else "") if p)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class ManifestSyntaxError(ManifestError):
    """The manifest is not valid YAML."""


class ManifestPathError(ManifestError):
    """The edit's path is malformed, or does not lead to exactly one value in the manifest."""


class ManifestValueError(ManifestError):
    """The path leads somewhere that cannot take the value (a mapping, an alias, a block scalar…)."""


class PlaceholderError(InputError):
    """A value template names a placeholder that has no value (``{registry.version}``, …)."""
