"""A local stand-in for GitHub's REST API, for PyGithub pointed at it through ``base_url``.

The tests' GitHub and ``gatewise demo``'s manifests repository (no network, no token needed).

It keeps repositories, git refs, commits, trees and blobs (the git data API: one commit with
several files), file contents, pull requests, issue comments, labels and commit statuses in memory and answers with GitHub's JSON shapes (the fields PyGithub reads). It
checks tokens like GitHub does for a workflow token: 401 for an unknown one, 403 with
``X-Accepted-GitHub-Permissions`` for one without the permission a write needs, and it enforces
the limits gatewise has to respect (65,536-character comments, 140-character status lines).

Tests assert on the state it ends in (``api.comments(...)``, ``api.statuses(...)``), not on calls.
Adding an endpoint is adding a ``@route`` method.
"""

from ._server import GitHubAPI
from ._state import ALL_PERMISSIONS, COMMENT_LIMIT, STATUS_DESCRIPTION_LIMIT, APIError, Repo, Token, blob_sha

__all__ = ["ALL_PERMISSIONS", "APIError", "COMMENT_LIMIT", "GitHubAPI", "Repo", "STATUS_DESCRIPTION_LIMIT", "Token",
           "blob_sha"]
