"""GitHub through PyGithub: the sticky PR comment, the commit status, and the one place where
PyGithub's and requests' exceptions become gatewise errors.

PyGithub is imported inside the functions that need it. Every function takes a ``github.Github``
built by ``github_client``, so tests point it at a local server with ``base_url``.
"""

from ._client import github_client, github_errors
from ._comment import (COMMENT_LIMIT, CommentRef, comment_body, comment_room, sticky_key, sticky_marker,
                       upsert_sticky_comment)
from ._status import DESCRIPTION_LIMIT, STATES, set_commit_status, status_description

__all__ = [
    "COMMENT_LIMIT", "CommentRef", "DESCRIPTION_LIMIT", "STATES", "comment_body", "comment_room", "github_client",
    "github_errors", "set_commit_status", "status_description", "sticky_key", "sticky_marker",
    "upsert_sticky_comment",
]
