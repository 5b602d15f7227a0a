"""Building the PyGithub client, and mapping its errors onto ``GitHubError`` and friends.

Messages name the repository, what was being done and the permission it needs; they are built
from the status code and GitHub's own ``message`` field only, so the token can never be in them.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterator

from .. import __version__
from ..errors import GitHubAuthError, GitHubError, GitHubPermissionError
from ..report import redact_secrets

if TYPE_CHECKING:
    import github

DEFAULT_API_URL = "https://api.github.com"


def github_client(token: str, base_url: str | None = None, *, timeout: float = 30,
                  retries: int = 3) -> "github.Github":
    """A lazy client (objects are fetched only when read) that retries 5xx and rate limits.

    gatewise makes a handful of calls per run, so PyGithub's default pauses between requests
    (meant for bulk scripts) are turned off.
    """
    import github
    from github.GithubRetry import GithubRetry

    return github.Github(
        auth=github.Auth.Token(token),
        base_url=(base_url or DEFAULT_API_URL).rstrip("/"),
        timeout=int(timeout),
        user_agent=f"gatewise/{__version__}",
        retry=GithubRetry(total=retries, backoff_factor=0.5, max_rate_limit_wait=60),
        seconds_between_requests=None,
        seconds_between_writes=None,
        lazy=True,
    )


@contextmanager
def github_errors(doing: str, repository: str, permission: str | None = None) -> Iterator[None]:
    """Turn what PyGithub and requests raise while ``doing`` something into a ``GitHubError``.

    ``permission`` is the workflow permission the call needs, e.g. ``pull-requests: write``.
    """
    import github
    import requests

    try:
        yield
    except github.BadCredentialsException:
        raise GitHubAuthError(
            f"GitHub rejected the token (401 Bad credentials) while trying to {doing} in {repository}: "
            "it is wrong, expired or revoked") from None
    except github.RateLimitExceededException as exc:
        raise GitHubError(f"GitHub's rate limit stopped gatewise while trying to {doing} in {repository} "
                          f"({exc.status}); try again later") from None
    except github.GithubException as exc:
        raise _from_status(exc.status, _server_message(exc), doing, repository, permission) from None
    except requests.exceptions.RequestException as exc:
        raise GitHubError(f"cannot reach GitHub's API to {doing} in {repository}: "
                          f"{type(exc).__name__}") from None


def _from_status(status: int, message: str, doing: str, repository: str, permission: str | None) -> GitHubError:
    said = f"{status} {message}".strip()
    grant = f"; give the workflow `permissions: {permission}` (or use a token that has it)" if permission else ""
    if status == 401:
        return GitHubAuthError(f"GitHub rejected the token ({said}) while trying to {doing} in {repository}")
    if status == 403:
        return GitHubPermissionError(f"the token may not {doing} in {repository} ({said}){grant}")
    if status == 404:
        return GitHubError(f"GitHub found nothing while trying to {doing} in {repository} ({said}): the "
                           f"repository or pull request does not exist, or the token cannot see it{grant}")
    return GitHubError(f"GitHub answered {said} while trying to {doing} in {repository}")


def _server_message(exc: "github.GithubException") -> str:
    data = exc.data
    message = data.get("message") if isinstance(data, dict) else None
    if not isinstance(message, str):
        return ""
    text = " ".join(redact_secrets(message).split())
    return text[:200] + ("…" if len(text) > 200 else "")
