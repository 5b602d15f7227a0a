"""The errors a user can see, in two families that map one-to-one onto exit codes.

A gate that misses its thresholds is not an error: it is a verdict (exit 1).
"""

from __future__ import annotations


class GatewiseError(Exception):
    """Base of every error gatewise reports to the user."""

    exit_code = 1


class InputError(GatewiseError):
    """Bad input: config, dataset, pin, template, missing secret. Nothing was called or written."""

    exit_code = 2


class LocatedError(InputError):
    """Bad input at a known place in a file: the message starts ``file:line [key]:``."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 key: str | None = None) -> None:
        self.file, self.line, self.key = file, line, key
        self.reason = message
        where = ":".join(str(p) for p in (file, line) if p is not None)
        prefix = " ".join(p for p in (where, f"[{key}]" if key else "") if p)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class ConfigError(LocatedError):
    """The gate config is invalid; the message names file, line and key path."""


class DatasetError(InputError):
    """The dataset cannot be read, or lacks a column the config needs."""


class PinMismatchError(DatasetError):
    """The dataset's sha256 differs from the pin in the config."""


class InfraError(GatewiseError):
    """Infrastructure: endpoint, judge, MLflow or GitHub unreachable or erroring after retries."""

    exit_code = 3


class EndpointUnreachableError(InfraError):
    """The model endpoint could not be reached at all, so no verdict can be given."""


class JudgeUnreachableError(InfraError):
    """The judge endpoint could not be reached at all, so no judge suite can be scored."""


class GitHubError(InfraError):
    """GitHub's API could not be reached or answered with an error (never names the token)."""


class GitHubAuthError(GitHubError):
    """GitHub rejected the token (401): it is wrong, expired or revoked."""


class GitHubPermissionError(GitHubError):
    """The token is valid but lacks a permission the call needs (403); the message names it."""
