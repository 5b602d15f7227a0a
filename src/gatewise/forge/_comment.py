"""The sticky PR comment: one per gate config, found again by a hidden marker on its first line
and edited in place on every run, so a pull request never collects a stack of gate comments."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from ..report import GITHUB_COMMENT_LIMIT
from ._client import github_errors

if TYPE_CHECKING:
    import github

COMMENT_LIMIT = GITHUB_COMMENT_LIMIT
PERMISSION = "pull-requests: write"
_MARKER = "<!-- gatewise:sticky:{key} -->"
_PLAIN_KEY = re.compile(r"^[A-Za-z0-9._/+@=-]{1,200}$")


@dataclass(frozen=True)
class CommentRef:
    id: int
    url: str | None  # the comment's html_url
    created: bool  # False when an existing comment was edited (or already up to date)


def sticky_key(config_path: str, workspace: str | None = None) -> str:
    """The config path as the repository sees it (``quality/gate.yaml``), or a hash of it when it
    holds characters that do not belong in an HTML comment."""
    posix = PurePosixPath(config_path.replace("\\", "/"))
    if posix.is_absolute() and workspace:
        try:
            posix = posix.relative_to(PurePosixPath(workspace.replace("\\", "/")))
        except ValueError:
            pass
    text = posix.as_posix()
    while text.startswith("./"):
        text = text[2:]
    if _PLAIN_KEY.match(text) and "--" not in text:
        return text
    return "sha256-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def sticky_marker(key: str) -> str:
    return _MARKER.format(key=key)


def comment_body(marker: str, summary: str, *, footer: str = "") -> str:
    """The marker on the first line, then the summary and an optional footer, within GitHub's limit.

    Callers render the summary for the room ``comment_room`` leaves; the cut here only guards
    against a caller that did not.
    """
    tail = f"\n\n---\n{footer}\n" if footer else ""
    head = marker + "\n"
    room = COMMENT_LIMIT - len(head) - len(tail)
    if len(summary) > room:
        cut = summary.rfind("\n", 0, max(0, room - 80))
        summary = summary[:max(cut, 0)] + "\n\n_… cut to fit GitHub's comment limit._\n"
    return head + summary.rstrip("\n") + "\n" + tail


def comment_room(marker: str, footer: str = "") -> int:
    """Characters left for the summary once the marker and the footer are in."""
    return COMMENT_LIMIT - len(comment_body(marker, "", footer=footer)) - 16


def upsert_sticky_comment(client: "github.Github", repository: str, pr_number: int, marker: str,
                          body: str) -> CommentRef:
    """Edit the comment whose body starts with ``marker``, or create it. Later duplicates (left by
    two runs racing) are deleted so exactly one remains."""
    if not body.startswith(marker):
        raise ValueError("the comment body must start with its sticky marker")
    if len(body) > COMMENT_LIMIT:
        raise ValueError(f"comment body of {len(body):,} characters is over GitHub's {COMMENT_LIMIT:,}")
    with github_errors(f"read the comments of pull request #{pr_number}", repository, PERMISSION):
        issue = client.get_repo(repository).get_issue(pr_number)
        mine = [c for c in issue.get_comments() if (c.body or "").lstrip().startswith(marker)]
    if not mine:
        with github_errors(f"comment on pull request #{pr_number}", repository, PERMISSION):
            created = issue.create_comment(body)
        return CommentRef(created.id, created.html_url, created=True)
    first, *duplicates = sorted(mine, key=lambda c: c.id)
    with github_errors(f"edit gatewise's comment on pull request #{pr_number}", repository, PERMISSION):
        if first.body != body:
            first.edit(body)
    for extra in duplicates:
        _delete_quietly(extra)
    return CommentRef(first.id, first.html_url, created=False)


def _delete_quietly(comment: "github.IssueComment.IssueComment") -> None:
    """Tidying up a duplicate is worth a try, not a failed job."""
    import github

    try:
        comment.delete()
    except github.GithubException:
        pass
