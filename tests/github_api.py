"""The local GitHub REST API the tests point PyGithub at; it lives in the package
(``gatewise.localgithub``) because ``gatewise demo`` opens its pull request there too."""

from gatewise.localgithub import (ALL_PERMISSIONS, COMMENT_LIMIT, STATUS_DESCRIPTION_LIMIT, APIError, GitHubAPI,  # noqa: F401
                                  Repo, Token, blob_sha)
