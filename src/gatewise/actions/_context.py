"""The workflow run gatewise is in: repository, event, pull request, commit and URLs."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Any, Mapping

from ..errors import InputError

PULL_REQUEST_EVENTS = frozenset({"pull_request", "pull_request_target"})
_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_HTTP_URL = re.compile(r"^https?://[^\s/?#]+(/[^\s?#]*)?$")


@dataclass(frozen=True)
class GitHubContext:
    """What the ``GITHUB_*`` variables and the event payload say about this run."""

    repository: str | None = None  # owner/name
    event_name: str | None = None
    sha: str | None = None  # GITHUB_SHA: for pull_request events, the test merge commit
    server_url: str = "https://github.com"
    api_url: str = "https://api.github.com"
    run_id: str | None = None
    run_attempt: str | None = None
    workspace: str | None = None
    pr_number: int | None = None
    head_sha: str | None = None  # the pull request's head commit: where a status belongs
    head_repository: str | None = None
    fork: bool = False  # the head repository is not this one
    in_actions: bool = False

    @property
    def is_pull_request(self) -> bool:
        return self.pr_number is not None

    @property
    def read_only_token(self) -> bool:
        """A ``pull_request`` run from a fork: GitHub gives it no secrets and a read-only token."""
        return self.fork and self.event_name == "pull_request"

    @property
    def status_sha(self) -> str | None:
        return self.head_sha or self.sha

    @property
    def run_url(self) -> str | None:
        """The workflow run's page (its artifacts are listed there), when every part is known."""
        if not (self.repository and self.run_id and self.run_id.isdigit()):
            return None
        return f"{self.server_url.rstrip('/')}/{self.repository}/actions/runs/{self.run_id}"


def read_context(env: Mapping[str, str] | None = None) -> GitHubContext:
    """The context from ``env`` (default ``os.environ``); raises InputError on an unreadable event file."""
    env = os.environ if env is None else env
    repository = env.get("GITHUB_REPOSITORY") or None
    if repository is not None and not _REPOSITORY.match(repository):
        repository = None
    event_name = env.get("GITHUB_EVENT_NAME") or None
    event = _read_event(env.get("GITHUB_EVENT_PATH") or None)
    pr_number = head_sha = head_repository = None
    fork = False
    pull = event.get("pull_request") if isinstance(event, dict) else None
    if event_name in PULL_REQUEST_EVENTS and isinstance(pull, dict):
        number = pull.get("number", event.get("number"))
        pr_number = number if isinstance(number, int) and not isinstance(number, bool) else None
        head = pull.get("head") if isinstance(pull.get("head"), dict) else {}
        head_sha = head.get("sha") if isinstance(head.get("sha"), str) else None
        head_repo = head.get("repo") if isinstance(head.get("repo"), dict) else None
        if head_repo is None:
            fork = True  # the fork was deleted: treat it as the most restricted case
        else:
            head_repository = head_repo.get("full_name")
            # head.repo.fork is also true for a branch of a repository that is itself a fork, so
            # compare names when both are known
            if repository is not None and isinstance(head_repository, str):
                fork = head_repository.lower() != repository.lower()
            else:
                fork = bool(head_repo.get("fork"))
    return GitHubContext(
        repository=repository,
        event_name=event_name,
        sha=env.get("GITHUB_SHA") or None,
        server_url=_url(env.get("GITHUB_SERVER_URL"), "https://github.com"),
        api_url=_url(env.get("GITHUB_API_URL"), "https://api.github.com"),
        run_id=env.get("GITHUB_RUN_ID") or None,
        run_attempt=env.get("GITHUB_RUN_ATTEMPT") or None,
        workspace=env.get("GITHUB_WORKSPACE") or None,
        pr_number=pr_number,
        head_sha=head_sha,
        head_repository=head_repository,
        fork=fork,
        in_actions=env.get("GITHUB_ACTIONS") == "true",
    )


def _url(value: str | None, default: str) -> str:
    return value.rstrip("/") if value and _HTTP_URL.match(value) else default


def _read_event(path: str | None) -> Any:
    if path is None:
        return {}
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        raise InputError(f"GITHUB_EVENT_PATH points at a missing file: {path}") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the event payload {path}: {exc}") from None
