"""Where a gate run happened: commit, branch, pull request and workflow run, for the run's tags.

In GitHub Actions the ``GITHUB_*`` variables say it; elsewhere (a laptop, the demo) the checkout
the config lives in does, so ``baseline: {mlflow: {branch: main}}`` works locally too.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

GIT_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class RunContext:
    git_sha: str | None = None
    branch: str | None = None
    repository: str | None = None  # owner/name
    pr_number: int | None = None
    pr_url: str | None = None
    run_url: str | None = None  # the workflow run's page

    def tags(self) -> dict[str, str]:
        """As run tags (MLflow's own git tags too, so its UI shows them), leaving out what is unknown."""
        values = {
            "gatewise.git_sha": self.git_sha, "mlflow.source.git.commit": self.git_sha,
            "gatewise.branch": self.branch, "mlflow.source.git.branch": self.branch,
            "gatewise.repository": self.repository,
            "gatewise.pr_number": None if self.pr_number is None else str(self.pr_number),
            "gatewise.pr_url": self.pr_url, "gatewise.run_url": self.run_url,
        }
        return {key: value for key, value in values.items() if value}


def run_context(base_dir: Path, env: Mapping[str, str] | None = None) -> RunContext:
    """The context from the Actions variables, else from git in ``base_dir``; never raises."""
    from ..actions import read_context
    from ..errors import InputError

    env = os.environ if env is None else env
    try:
        github = read_context(env)
    except InputError:  # an unreadable event file: the gate reports that elsewhere, tags go without it
        github = read_context({k: v for k, v in env.items() if k != "GITHUB_EVENT_PATH"})
    if github.in_actions or github.repository:
        pr_url = (f"{github.server_url}/{github.repository}/pull/{github.pr_number}"
                  if github.repository and github.pr_number is not None else None)
        # a pull request's own branch, not the refs/pull/N/merge GITHUB_REF_NAME names
        branch = env.get("GITHUB_HEAD_REF") or env.get("GITHUB_REF_NAME") or None
        return RunContext(git_sha=github.head_sha or github.sha, branch=branch, repository=github.repository,
                          pr_number=github.pr_number, pr_url=pr_url, run_url=github.run_url)
    sha = _git(base_dir, "rev-parse", "HEAD")
    branch = _git(base_dir, "rev-parse", "--abbrev-ref", "HEAD")
    return RunContext(git_sha=sha, branch=None if branch == "HEAD" else branch)


def _git(cwd: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=GIT_TIMEOUT_S,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    out = done.stdout.strip()
    return out if done.returncode == 0 and out else None
