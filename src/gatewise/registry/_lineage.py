"""Where a promotion came from: commit, repository, pull request, workflow run, model source."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Mapping

_PULL_REF = re.compile(r"^refs/pull/(\d+)/")


@dataclass(frozen=True)
class Lineage:
    git_sha: str | None = None
    repository: str | None = None  # owner/name
    source_pr: int | None = None  # the pull request the change came from, when known
    workflow_run_url: str | None = None
    model_source: str | None = None  # what promotion pins: s3://…, hf://org/model@revision

    @classmethod
    def from_environment(cls, model_source: str | None = None,
                         environ: Mapping[str, str] | None = None) -> "Lineage":
        """Read the ``GITHUB_*`` variables of an Actions job; outside Actions every field is None."""
        env = os.environ if environ is None else environ
        repository = env.get("GITHUB_REPOSITORY") or None
        server = (env.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/")
        run_id = env.get("GITHUB_RUN_ID")
        run_url = f"{server}/{repository}/actions/runs/{run_id}" if repository and run_id else None
        return cls(git_sha=env.get("GITHUB_SHA") or None, repository=repository,
                   source_pr=_pull_request_number(env), workflow_run_url=run_url,
                   model_source=model_source)

    def tags(self) -> dict[str, str]:
        """The lineage as ``gatewise.*`` tags, leaving out what is unknown."""
        values = {
            "gatewise.git_sha": self.git_sha,
            "gatewise.repository": self.repository,
            "gatewise.source_pr": None if self.source_pr is None else str(self.source_pr),
            "gatewise.workflow_run_url": self.workflow_run_url,
            "gatewise.source": self.model_source,
        }
        return {key: value for key, value in values.items() if value}


def _pull_request_number(env: Mapping[str, str]) -> int | None:
    # a pull_request job's ref is refs/pull/<n>/merge; other events may carry it in the payload
    match = _PULL_REF.match(env.get("GITHUB_REF") or "")
    if match:
        return int(match.group(1))
    event_path = env.get("GITHUB_EVENT_PATH")
    if not event_path:
        return None
    try:
        with open(event_path, encoding="utf-8") as handle:
            event = json.load(handle)
    except (OSError, ValueError):
        return None
    number = (event.get("pull_request") or {}).get("number") if isinstance(event, dict) else None
    return number if isinstance(number, int) and not isinstance(number, bool) else None
