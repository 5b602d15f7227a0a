"""The errors a manifest edit can raise: all bad input (exit 2), all raised before any text is made."""

from __future__ import annotations

from ..errors import InputError, LocatedError


class ManifestError(LocatedError):
    """A manifest edit cannot be made; the message names file, line and key path."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 path: str | None = None) -> None:
        self.path = path
        super().__init__(message, file=file, line=line, key=path)


class ManifestSyntaxError(ManifestError):
    """The manifest is not valid YAML."""


class ManifestPathError(ManifestError):
    """The edit's path is malformed, or does not lead to exactly one value in the manifest."""


class ManifestValueError(ManifestError):
    """The path leads somewhere that cannot take the value (a mapping, an alias, a block scalar…)."""


class PlaceholderError(InputError):
    """A value template names a placeholder that has no value (``{registry.version}``, …)."""
