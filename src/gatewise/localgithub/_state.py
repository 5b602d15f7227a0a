"""The state the local GitHub API keeps: repositories, tokens, and the route table."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

COMMENT_LIMIT = 65_536
STATUS_DESCRIPTION_LIMIT = 140
# permission names as in a workflow's `permissions:` block
ALL_PERMISSIONS = frozenset({"contents", "issues", "pull-requests", "statuses"})
DOCS = "https://docs.github.com/rest"

ROUTES: list[tuple[str, re.Pattern[str], str]] = []


def route(method: str, pattern: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a handler for ``METHOD /path``; ``{name}`` segments become keyword arguments."""
    regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern.replace("{path*}", "(?P<path>.+)"))
                       + "$")

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        ROUTES.append((method, regex, func.__name__))
        return func

    return register


class APIError(Exception):
    def __init__(self, status: int, message: str, *, headers: dict[str, str] | None = None,
                 errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers, self.errors = status, message, headers or {}, errors


@dataclass
class Token:
    login: str
    permissions: frozenset[str]  # write permissions; reading needs only a valid token


@dataclass
class Repo:
    full_name: str
    id: int
    default_branch: str = "main"
    private: bool = False
    fork: bool = False
    refs: dict[str, str] = field(default_factory=dict)  # "heads/main" -> commit sha
    commits: dict[str, dict[str, Any]] = field(default_factory=dict)  # sha -> {"files", "message", "parents", "tree"}
    trees: dict[str, dict[str, bytes]] = field(default_factory=dict)  # sha -> path -> content (flat)
    blobs: dict[str, bytes] = field(default_factory=dict)  # sha -> content
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: dict[int, dict[str, Any]] = field(default_factory=dict)  # comment id -> {"issue", "body", ...}
    statuses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # sha -> oldest first
    labels: dict[str, dict[str, Any]] = field(default_factory=dict)
    next_number: int = 1

    @property
    def owner(self) -> str:
        return self.full_name.split("/")[0]

    @property
    def name(self) -> str:
        return self.full_name.split("/")[1]


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def blob_sha(data: bytes) -> str:
    """The git blob id of ``data``, as GitHub reports a file's ``sha``."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


