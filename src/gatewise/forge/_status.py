"""The commit status on the pull request's head commit: ``gatewise/<model>`` success, failure or error."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..report import redact_secrets
from ._client import github_errors

if TYPE_CHECKING:
    import github

STATES = ("success", "failure", "error", "pending")
DESCRIPTION_LIMIT = 140
PERMISSION = "statuses: write"
_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def status_description(text: str) -> str:
    """One line of at most 140 characters, secrets masked."""
    line = " ".join(_CONTROL.sub(" ", redact_secrets(text)).split())
    if len(line) <= DESCRIPTION_LIMIT:
        return line
    return line[:DESCRIPTION_LIMIT - 1].rstrip() + "…"


def set_commit_status(client: "github.Github", repository: str, sha: str, *, state: str, description: str,
                      context: str, target_url: str | None = None) -> None:
    if state not in STATES:
        raise ValueError(f"status state must be one of {', '.join(STATES)}")
    if not _SHA.match(sha):
        raise ValueError(f"not a full commit sha: {sha!r}")
    with github_errors(f"set the commit status {context!r} on {sha[:12]}", repository, PERMISSION):
        commit = client.get_repo(repository).get_commit(sha)
        extra = {"target_url": target_url} if target_url else {}
        commit.create_status(state=state, description=status_description(description), context=context, **extra)
