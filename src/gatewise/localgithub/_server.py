"""The local GitHub API server: lifecycle, arranging and reading state, request dispatch."""

from __future__ import annotations

import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from ._git import GitRoutes
from ._issues import IssueRoutes
from ._shapes import Shapes
from ._state import ALL_PERMISSIONS, DOCS, ROUTES, APIError, Repo, Token


class GitHubAPI(Shapes, GitRoutes, IssueRoutes):
    """The server and its state. Use as a context manager; ``base_url`` goes to PyGithub."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.tokens: dict[str, Token] = {}
        self.repos: dict[str, Repo] = {}
        self._ids = itertools.count(1000)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    def __enter__(self) -> "GitHubAPI":
        api = self

        class Handler(_Handler):
            pass

        Handler.api = api
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="github-api", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the server first (use it as a context manager)"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- arranging state ----------------------------------------------------------------------

    def add_token(self, token: str, permissions: frozenset[str] | set[str] = ALL_PERMISSIONS, *,
                  login: str = "github-actions[bot]") -> None:
        unknown = set(permissions) - ALL_PERMISSIONS
        assert not unknown, f"unknown permissions {unknown}"
        self.tokens[token] = Token(login, frozenset(permissions))

    def add_repo(self, full_name: str, *, files: dict[str, str] | None = None, default_branch: str = "main",
                 fork: bool = False) -> Repo:
        with self.lock:
            repo = Repo(full_name, next(self._ids), default_branch=default_branch, fork=fork)
            sha = self._commit(repo, {p: t.encode("utf-8") for p, t in (files or {}).items()}, "initial", [])
            repo.refs[f"heads/{default_branch}"] = sha
            self.repos[full_name] = repo
            return repo

    def add_pull(self, full_name: str, *, head_sha: str | None = None, head_ref: str = "feature",
                 base_ref: str | None = None, head_repo: str | None = None, title: str = "A change") -> dict[str, Any]:
        """An open pull request; ``head_repo`` other than ``full_name`` makes it a fork's."""
        with self.lock:
            repo = self.repos[full_name]
            base_ref = base_ref or repo.default_branch
            if head_sha is None:
                base_sha = repo.refs[f"heads/{base_ref}"]
                head_sha = self._commit(repo, dict(repo.commits[base_sha]["files"]), title, [base_sha])
            if head_repo is None:
                repo.refs.setdefault(f"heads/{head_ref}", head_sha)
            else:
                repo.commits.setdefault(head_sha, {"files": {}, "message": title, "parents": []})
            return self._new_pull(repo, title=title, body="", head_ref=head_ref, head_sha=head_sha,
                                  base_ref=base_ref, head_repo=head_repo or full_name, login="octocat")

    def add_comment(self, full_name: str, number: int, body: str, *, login: str = "octocat") -> dict[str, Any]:
        with self.lock:
            return self._new_comment(self.repos[full_name], number, body, login)

    def merge(self, full_name: str, branch: str) -> None:
        """Merge ``branch`` as GitHub's button would when it is ahead of base (fast-forward), closing its PRs."""
        with self.lock:
            repo = self.repos[full_name]
            repo.refs[f"heads/{repo.default_branch}"] = repo.refs[f"heads/{branch}"]
            for pull in repo.pulls.values():
                if pull["head_ref"] == branch:
                    pull["state"] = "closed"

    # -- reading state (what tests assert on) ------------------------------------------------------

    def comments(self, full_name: str, number: int) -> list[dict[str, Any]]:
        with self.lock:
            repo = self.repos[full_name]
            return [dict(c) for c in sorted(repo.comments.values(), key=lambda c: c["id"]) if c["issue"] == number]

    def statuses(self, full_name: str, sha: str) -> list[dict[str, Any]]:
        """Every status set on ``sha``, oldest first."""
        with self.lock:
            return [dict(s) for s in self.repos[full_name].statuses.get(sha, [])]

    def latest_statuses(self, full_name: str, sha: str) -> dict[str, dict[str, Any]]:
        """context -> the status GitHub shows for it (the latest)."""
        return {s["context"]: s for s in self.statuses(full_name, sha)}

    def commit_of(self, full_name: str, ref: str) -> dict[str, Any]:
        """The commit ``ref`` points at: files, message, parents."""
        with self.lock:
            repo = self.repos[full_name]
            return dict(repo.commits[self._resolve(repo, ref)])

    def file(self, full_name: str, path: str, ref: str | None = None) -> str | None:
        with self.lock:
            repo = self.repos[full_name]
            data = repo.commits[self._resolve(repo, ref)]["files"].get(path)
            return None if data is None else data.decode("utf-8")


    # -- request handling --------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict[str, str], body: Any,
               authorization: str | None) -> tuple[int, Any, dict[str, str]]:
        token = self._authenticate(authorization)
        for route_method, regex, name in ROUTES:
            match = regex.match(path)
            if route_method == method and match:
                with self.lock:
                    return getattr(self, name)(token=token, query=query, body=body,
                                               **{k: unquote(v) for k, v in match.groupdict().items()})
        raise APIError(404, "Not Found")

    def _authenticate(self, authorization: str | None) -> Token:
        scheme, _, value = (authorization or "").partition(" ")
        token = self.tokens.get(value.strip()) if scheme.lower() in ("token", "bearer") else None
        if token is None:
            raise APIError(401, "Bad credentials")
        return token

    @staticmethod
    def _require(token: Token, *permissions: str) -> None:
        """A write needs any one of ``permissions`` (GitHub accepts issues or pull-requests for comments)."""
        if not token.permissions & set(permissions):
            accepted = ", ".join(f"{p.replace('-', '_')}=write" for p in permissions)
            raise APIError(403, "Resource not accessible by integration",
                           headers={"X-Accepted-GitHub-Permissions": accepted})

    def _repo(self, owner: str, repo: str) -> Repo:
        found = self.repos.get(f"{owner}/{repo}")
        if found is None:
            raise APIError(404, "Not Found")
        return found

    def _pull(self, repo: Repo, number: str) -> dict[str, Any]:
        pull = repo.pulls.get(int(number)) if number.isdigit() else None
        if pull is None:
            raise APIError(404, "Not Found")
        return pull

    def _page(self, items: list[Any], query: dict[str, str], path: str) -> tuple[int, Any, dict[str, str]]:
        per_page = max(1, min(100, int(query.get("per_page", 30))))
        page = max(1, int(query.get("page", 1)))
        chunk = items[(page - 1) * per_page: page * per_page]
        links = []
        last = max(1, -(-len(items) // per_page))
        base = f"{self.base_url}{path}?per_page={per_page}&page="
        if page < last:
            links.append(f'<{base}{page + 1}>; rel="next"')
            links.append(f'<{base}{last}>; rel="last"')
        if page > 1:
            links.append(f'<{base}1>; rel="first"')
            links.append(f'<{base}{page - 1}>; rel="prev"')
        return 200, chunk, ({"Link": ", ".join(links)} if links else {})


class _Handler(BaseHTTPRequestHandler):
    api: GitHubAPI
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        pass

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else {}
            status, payload, headers = self.api.handle(self.command, parts.path.rstrip("/") or "/", query, body,
                                                       self.headers.get("Authorization"))
        except APIError as exc:
            payload = {"message": exc.message, "documentation_url": DOCS, "status": str(exc.status)}
            if exc.errors:
                payload["errors"] = exc.errors
            status, headers = exc.status, exc.headers
        except (ValueError, KeyError, TypeError) as exc:
            status, payload, headers = 400, {"message": f"Problems parsing JSON: {exc}"}, {}
        data = b"" if payload is None else json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-RateLimit-Limit", "5000")
        self.send_header("X-RateLimit-Remaining", "4999")
        self.send_header("X-RateLimit-Reset", "9999999999")
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

