"""A local stand-in for GitHub's REST API, for PyGithub pointed at it through ``base_url``.

It keeps repositories, git refs, commits, trees and blobs (the git data API: one commit with
several files), file contents, pull requests, issue comments, labels and commit statuses in memory and answers with GitHub's JSON shapes (the fields PyGithub reads). It
checks tokens like GitHub does for a workflow token: 401 for an unknown one, 403 with
``X-Accepted-GitHub-Permissions`` for one without the permission a write needs, and it enforces
the limits gatewise has to respect (65,536-character comments, 140-character status lines).

Tests assert on the state it ends in (``api.comments(...)``, ``api.statuses(...)``), not on calls.
Adding an endpoint is adding a ``@route`` method.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, unquote, urlsplit

COMMENT_LIMIT = 65_536
STATUS_DESCRIPTION_LIMIT = 140
# permission names as in a workflow's `permissions:` block
ALL_PERMISSIONS = frozenset({"contents", "issues", "pull-requests", "statuses"})
DOCS = "https://docs.github.com/rest"

_ROUTES: list[tuple[str, re.Pattern[str], str]] = []


def route(method: str, pattern: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a handler for ``METHOD /path``; ``{name}`` segments become keyword arguments."""
    regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern.replace("{path*}", "(?P<path>.+)"))
                       + "$")

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        _ROUTES.append((method, regex, func.__name__))
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


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def blob_sha(data: bytes) -> str:
    """The git blob id of ``data``, as GitHub reports a file's ``sha``."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class GitHubAPI:
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

    # -- shapes ----------------------------------------------------------------------------------

    def _user(self, login: str) -> dict[str, Any]:
        return {"login": login, "id": abs(hash(login)) % 10**8, "node_id": f"U_{login}",
                "type": "Bot" if login.endswith("[bot]") else "User", "site_admin": False,
                "url": f"{self.base_url}/users/{login}", "html_url": f"https://github.com/{login}",
                "avatar_url": f"https://avatars.githubusercontent.com/{login}"}

    def _repo_shape(self, repo: Repo) -> dict[str, Any]:
        url = f"{self.base_url}/repos/{repo.full_name}"
        return {"id": repo.id, "node_id": f"R_{repo.id}", "name": repo.name, "full_name": repo.full_name,
                "owner": self._user(repo.owner), "private": repo.private, "fork": repo.fork,
                "html_url": f"https://github.com/{repo.full_name}", "url": url,
                "default_branch": repo.default_branch, "archived": False, "visibility": "public",
                "pulls_url": f"{url}/pulls{{/number}}", "statuses_url": f"{url}/statuses/{{sha}}"}

    def _comment_shape(self, repo: Repo, c: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.base_url}/repos/{repo.full_name}"
        return {"id": c["id"], "node_id": f"IC_{c['id']}", "url": f"{url}/issues/comments/{c['id']}",
                "html_url": f"https://github.com/{repo.full_name}/pull/{c['issue']}#issuecomment-{c['id']}",
                "issue_url": f"{url}/issues/{c['issue']}", "body": c["body"], "user": self._user(c["login"]),
                "created_at": c["created_at"], "updated_at": c["updated_at"], "author_association": "NONE"}

    def _pull_shape(self, repo: Repo, p: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.base_url}/repos/{repo.full_name}"
        head_repo = self.repos.get(p["head_repo"])
        head_repo_shape = self._repo_shape(head_repo) if head_repo else {
            **self._repo_shape(repo), "full_name": p["head_repo"], "name": p["head_repo"].split("/")[1],
            "owner": self._user(p["head_repo"].split("/")[0]), "fork": True, "id": repo.id + 1}
        return {
            "id": p["id"], "node_id": f"PR_{p['id']}", "number": p["number"], "state": p["state"],
            "title": p["title"], "body": p["body"], "user": self._user(p["login"]), "draft": False,
            "merged": False, "locked": False, "url": f"{url}/pulls/{p['number']}",
            "html_url": f"https://github.com/{repo.full_name}/pull/{p['number']}",
            "issue_url": f"{url}/issues/{p['number']}",
            "comments_url": f"{url}/issues/{p['number']}/comments",
            "statuses_url": f"{url}/statuses/{p['head_sha']}",
            "head": {"ref": p["head_ref"], "sha": p["head_sha"], "label": f"{p['head_repo'].split('/')[0]}:{p['head_ref']}",
                     "repo": head_repo_shape, "user": self._user(p["head_repo"].split("/")[0])},
            "base": {"ref": p["base_ref"], "sha": repo.refs.get(f"heads/{p['base_ref']}", ""),
                     "label": f"{repo.owner}:{p['base_ref']}", "repo": self._repo_shape(repo),
                     "user": self._user(repo.owner)},
            "labels": [repo.labels[name] for name in p["labels"]],
            "created_at": p["created_at"], "updated_at": p["updated_at"],
        }

    def _issue_shape(self, repo: Repo, p: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.base_url}/repos/{repo.full_name}"
        return {"id": p["id"], "node_id": f"I_{p['id']}", "number": p["number"], "title": p["title"],
                "body": p["body"], "state": p["state"], "user": self._user(p["login"]), "locked": False,
                "labels": [repo.labels[name] for name in p["labels"]],
                "comments": sum(1 for c in repo.comments.values() if c["issue"] == p["number"]),
                "url": f"{url}/issues/{p['number']}", "repository_url": url,
                "html_url": f"https://github.com/{repo.full_name}/pull/{p['number']}",
                "pull_request": {"url": f"{url}/pulls/{p['number']}"},
                "created_at": p["created_at"], "updated_at": p["updated_at"]}

    def _status_shape(self, repo: Repo, s: dict[str, Any]) -> dict[str, Any]:
        return {"id": s["id"], "node_id": f"SC_{s['id']}", "state": s["state"], "description": s["description"],
                "target_url": s["target_url"], "context": s["context"], "created_at": s["created_at"],
                "updated_at": s["created_at"], "creator": self._user(s["login"]),
                "url": f"{self.base_url}/repos/{repo.full_name}/statuses/{s['sha']}"}

    def _ref_shape(self, repo: Repo, ref: str) -> dict[str, Any]:
        url = f"{self.base_url}/repos/{repo.full_name}"
        sha = repo.refs[ref]
        return {"ref": f"refs/{ref}", "node_id": f"REF_{ref}", "url": f"{url}/git/refs/{ref}",
                "object": {"sha": sha, "type": "commit", "url": f"{url}/git/commits/{sha}"}}

    def _git_commit_shape(self, repo: Repo, sha: str) -> dict[str, Any]:
        url = f"{self.base_url}/repos/{repo.full_name}"
        commit = repo.commits[sha]
        person = {"name": "github-actions[bot]", "email": "bot@example.invalid", "date": _now()}
        return {"sha": sha, "node_id": f"C_{sha}", "url": f"{url}/git/commits/{sha}",
                "html_url": f"https://github.com/{repo.full_name}/commit/{sha}", "message": commit["message"],
                "tree": {"sha": commit["tree"], "url": f"{url}/git/trees/{commit['tree']}"},
                "parents": [{"sha": p, "url": f"{url}/git/commits/{p}",
                             "html_url": f"https://github.com/{repo.full_name}/commit/{p}"} for p in commit["parents"]],
                "author": person, "committer": person,
                "verification": {"verified": False, "reason": "unsigned", "signature": None, "payload": None}}

    def _tree_shape(self, repo: Repo, sha: str) -> dict[str, Any]:
        url = f"{self.base_url}/repos/{repo.full_name}"
        files = repo.trees[sha]
        return {"sha": sha, "url": f"{url}/git/trees/{sha}", "truncated": False,
                "tree": [{"path": p, "mode": "100644", "type": "blob", "sha": blob_sha(d), "size": len(d),
                          "url": f"{url}/git/blobs/{blob_sha(d)}"} for p, d in sorted(files.items())]}

    def _content_shape(self, repo: Repo, path: str, data: bytes, ref: str) -> dict[str, Any]:
        url = f"{self.base_url}/repos/{repo.full_name}"
        sha = blob_sha(data)
        return {"type": "file", "encoding": "base64", "size": len(data), "name": path.rsplit("/", 1)[-1],
                "path": path, "content": base64.b64encode(data).decode("ascii"), "sha": sha,
                "url": f"{url}/contents/{path}?ref={ref}", "git_url": f"{url}/git/blobs/{sha}",
                "html_url": f"https://github.com/{repo.full_name}/blob/{ref}/{path}",
                "download_url": f"https://raw.githubusercontent.com/{repo.full_name}/{ref}/{path}",
                "_links": {"self": f"{url}/contents/{path}?ref={ref}", "git": f"{url}/git/blobs/{sha}",
                           "html": f"https://github.com/{repo.full_name}/blob/{ref}/{path}"}}

    # -- state changes ---------------------------------------------------------------------------

    def _commit(self, repo: Repo, files: dict[str, bytes], message: str, parents: list[str]) -> str:
        payload = json.dumps([sorted((p, blob_sha(d)) for p, d in files.items()), message, parents, next(self._ids)])
        sha = hashlib.sha1(payload.encode("utf-8")).hexdigest()
        repo.commits[sha] = {"files": files, "message": message, "parents": parents, "tree": self._tree(repo, files)}
        return sha

    @staticmethod
    def _tree(repo: Repo, files: dict[str, bytes]) -> str:
        """Store ``files`` as a (flat) tree and its blobs; the tree's sha."""
        entries = sorted((p, blob_sha(d)) for p, d in files.items())
        sha = hashlib.sha1(json.dumps(entries).encode("utf-8")).hexdigest()
        repo.trees[sha] = dict(files)
        for data in files.values():
            repo.blobs[blob_sha(data)] = data
        return sha

    def _resolve(self, repo: Repo, ref: str | None) -> str:
        ref = ref or repo.default_branch
        for candidate in (ref.removeprefix("refs/"), f"heads/{ref}", f"tags/{ref}"):
            if candidate in repo.refs:
                return repo.refs[candidate]
        if ref in repo.commits:
            return ref
        raise APIError(404, f"No commit found for the ref {ref}")

    def _new_pull(self, repo: Repo, *, title: str, body: str, head_ref: str, head_sha: str, base_ref: str,
                  head_repo: str, login: str) -> dict[str, Any]:
        number = repo.next_number
        repo.next_number += 1
        now = _now()
        pull = {"id": next(self._ids), "number": number, "state": "open", "title": title, "body": body,
                "head_ref": head_ref, "head_sha": head_sha, "base_ref": base_ref, "head_repo": head_repo,
                "login": login, "labels": [], "created_at": now, "updated_at": now}
        repo.pulls[number] = pull
        return pull

    def _new_comment(self, repo: Repo, number: int, body: str, login: str) -> dict[str, Any]:
        now = _now()
        comment = {"id": next(self._ids), "issue": number, "body": body, "login": login,
                   "created_at": now, "updated_at": now}
        repo.comments[comment["id"]] = comment
        return comment

    # -- request handling --------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict[str, str], body: Any,
               authorization: str | None) -> tuple[int, Any, dict[str, str]]:
        token = self._authenticate(authorization)
        for route_method, regex, name in _ROUTES:
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

    # -- endpoints ---------------------------------------------------------------------------------

    @route("GET", "/user")
    def get_user(self, *, token: Token, **_: Any):
        return 200, self._user(token.login), {}

    @route("GET", "/repos/{owner}/{repo}")
    def get_repo(self, *, owner: str, repo: str, **_: Any):
        return 200, self._repo_shape(self._repo(owner, repo)), {}

    @route("GET", "/repos/{owner}/{repo}/pulls")
    def list_pulls(self, *, owner: str, repo: str, query: dict[str, str], **_: Any):
        r = self._repo(owner, repo)
        state = query.get("state", "open")
        pulls = [p for p in r.pulls.values() if state == "all" or p["state"] == state]
        if "head" in query:
            pulls = [p for p in pulls if f"{p['head_repo'].split('/')[0]}:{p['head_ref']}" == query["head"]]
        if "base" in query:
            pulls = [p for p in pulls if p["base_ref"] == query["base"]]
        status, chunk, headers = self._page(pulls, query, f"/repos/{owner}/{repo}/pulls")
        return status, [self._pull_shape(r, p) for p in chunk], headers

    @route("POST", "/repos/{owner}/{repo}/pulls")
    def create_pull(self, *, token: Token, owner: str, repo: str, body: dict[str, Any], **_: Any):
        self._require(token, "pull-requests")
        r = self._repo(owner, repo)
        head_ref = str(body.get("head", "")).split(":")[-1]
        if f"heads/{head_ref}" not in r.refs or f"heads/{body.get('base')}" not in r.refs:
            raise APIError(422, "Validation Failed",
                           errors=[{"resource": "PullRequest", "field": "head", "code": "invalid"}])
        if any(p["head_ref"] == head_ref and p["base_ref"] == body["base"] and p["state"] == "open"
               for p in r.pulls.values()):
            raise APIError(422, "Validation Failed", errors=[{
                "resource": "PullRequest", "code": "custom",
                "message": f"A pull request already exists for {owner}:{head_ref}."}])
        pull = self._new_pull(r, title=str(body.get("title", "")), body=str(body.get("body") or ""),
                              head_ref=head_ref, head_sha=r.refs[f"heads/{head_ref}"], base_ref=str(body["base"]),
                              head_repo=r.full_name, login=token.login)
        return 201, self._pull_shape(r, pull), {}

    @route("GET", "/repos/{owner}/{repo}/pulls/{number}")
    def get_pull(self, *, owner: str, repo: str, number: str, **_: Any):
        r = self._repo(owner, repo)
        return 200, self._pull_shape(r, self._pull(r, number)), {}

    @route("PATCH", "/repos/{owner}/{repo}/pulls/{number}")
    def edit_pull(self, *, token: Token, owner: str, repo: str, number: str, body: dict[str, Any], **_: Any):
        self._require(token, "pull-requests")
        r = self._repo(owner, repo)
        pull = self._pull(r, number)
        for key in ("title", "body", "state"):
            if key in body:
                pull[key] = body[key]
        pull["updated_at"] = _now()
        return 200, self._pull_shape(r, pull), {}

    @route("GET", "/repos/{owner}/{repo}/issues/{number}")
    def get_issue(self, *, owner: str, repo: str, number: str, **_: Any):
        r = self._repo(owner, repo)
        return 200, self._issue_shape(r, self._pull(r, number)), {}

    @route("GET", "/repos/{owner}/{repo}/issues/{number}/comments")
    def list_comments(self, *, owner: str, repo: str, number: str, query: dict[str, str], **_: Any):
        r = self._repo(owner, repo)
        self._pull(r, number)
        comments = sorted((c for c in r.comments.values() if c["issue"] == int(number)), key=lambda c: c["id"])
        status, chunk, headers = self._page(comments, query, f"/repos/{owner}/{repo}/issues/{number}/comments")
        return status, [self._comment_shape(r, c) for c in chunk], headers

    @route("POST", "/repos/{owner}/{repo}/issues/{number}/comments")
    def create_comment(self, *, token: Token, owner: str, repo: str, number: str, body: dict[str, Any], **_: Any):
        self._require(token, "issues", "pull-requests")
        r = self._repo(owner, repo)
        self._pull(r, number)
        text = self._comment_text(body)
        return 201, self._comment_shape(r, self._new_comment(r, int(number), text, token.login)), {}

    @route("GET", "/repos/{owner}/{repo}/issues/comments/{comment_id}")
    def get_comment(self, *, owner: str, repo: str, comment_id: str, **_: Any):
        r = self._repo(owner, repo)
        return 200, self._comment_shape(r, self._comment(r, comment_id)), {}

    @route("PATCH", "/repos/{owner}/{repo}/issues/comments/{comment_id}")
    def edit_comment(self, *, token: Token, owner: str, repo: str, comment_id: str, body: dict[str, Any], **_: Any):
        self._require(token, "issues", "pull-requests")
        r = self._repo(owner, repo)
        comment = self._comment(r, comment_id)
        if comment["login"] != token.login:
            raise APIError(403, "You cannot edit someone else's comment")
        comment["body"] = self._comment_text(body)
        comment["updated_at"] = _now()
        return 200, self._comment_shape(r, comment), {}

    @route("DELETE", "/repos/{owner}/{repo}/issues/comments/{comment_id}")
    def delete_comment(self, *, token: Token, owner: str, repo: str, comment_id: str, **_: Any):
        self._require(token, "issues", "pull-requests")
        r = self._repo(owner, repo)
        comment = self._comment(r, comment_id)
        if comment["login"] != token.login:
            raise APIError(403, "You cannot delete someone else's comment")
        del r.comments[comment["id"]]
        return 204, None, {}

    @route("POST", "/repos/{owner}/{repo}/statuses/{sha}")
    def create_status(self, *, token: Token, owner: str, repo: str, sha: str, body: dict[str, Any], **_: Any):
        self._require(token, "statuses")
        r = self._repo(owner, repo)
        if sha not in r.commits:
            raise APIError(422, f"No commit found for SHA: {sha}")
        state, description = body.get("state"), body.get("description")
        if state not in ("error", "failure", "pending", "success"):
            raise APIError(422, "Validation Failed", errors=[{"resource": "Status", "field": "state",
                                                              "code": "custom"}])
        if description is not None and len(description) > STATUS_DESCRIPTION_LIMIT:
            raise APIError(422, "Validation Failed", errors=[{
                "resource": "Status", "field": "description", "code": "custom",
                "message": "description is too long (maximum is 140 characters)"}])
        status = {"id": next(self._ids), "sha": sha, "state": state, "description": description,
                  "target_url": body.get("target_url"), "context": body.get("context") or "default",
                  "login": token.login, "created_at": _now()}
        r.statuses.setdefault(sha, []).append(status)
        return 201, self._status_shape(r, status), {}

    @route("GET", "/repos/{owner}/{repo}/commits/{ref}/statuses")
    def list_statuses(self, *, owner: str, repo: str, ref: str, query: dict[str, str], **_: Any):
        r = self._repo(owner, repo)
        newest_first = list(reversed(r.statuses.get(self._resolve(r, ref), [])))
        status, chunk, headers = self._page(newest_first, query, f"/repos/{owner}/{repo}/commits/{ref}/statuses")
        return status, [self._status_shape(r, s) for s in chunk], headers

    @route("GET", "/repos/{owner}/{repo}/commits/{ref}/status")
    def combined_status(self, *, owner: str, repo: str, ref: str, **_: Any):
        r = self._repo(owner, repo)
        sha = self._resolve(r, ref)
        latest = {s["context"]: s for s in r.statuses.get(sha, [])}
        states = {s["state"] for s in latest.values()}
        state = ("failure" if states & {"failure", "error"} else "pending" if "pending" in states or not states
                 else "success")
        return 200, {"state": state, "sha": sha, "total_count": len(latest),
                     "statuses": [self._status_shape(r, s) for s in latest.values()],
                     "repository": self._repo_shape(r),
                     "commit_url": f"{self.base_url}/repos/{r.full_name}/commits/{sha}",
                     "url": f"{self.base_url}/repos/{r.full_name}/commits/{sha}/status"}, {}

    @route("GET", "/repos/{owner}/{repo}/commits/{ref}")
    def get_commit(self, *, owner: str, repo: str, ref: str, **_: Any):
        r = self._repo(owner, repo)
        sha = self._resolve(r, ref)
        url = f"{self.base_url}/repos/{r.full_name}"
        commit = r.commits[sha]
        return 200, {"sha": sha, "node_id": f"C_{sha}", "url": f"{url}/commits/{sha}",
                     "html_url": f"https://github.com/{r.full_name}/commit/{sha}",
                     "commit": {"message": commit["message"], "url": f"{url}/git/commits/{sha}"},
                     "parents": [{"sha": p, "url": f"{url}/commits/{p}"} for p in commit["parents"]],
                     "files": []}, {}

    @route("GET", "/repos/{owner}/{repo}/git/ref/{path*}")
    def get_ref(self, *, owner: str, repo: str, path: str, **_: Any):
        r = self._repo(owner, repo)
        if path not in r.refs:
            raise APIError(404, "Not Found")
        return 200, self._ref_shape(r, path), {}

    @route("GET", "/repos/{owner}/{repo}/git/matching-refs/{path*}")
    def matching_refs(self, *, owner: str, repo: str, path: str, **_: Any):
        r = self._repo(owner, repo)
        return 200, [self._ref_shape(r, ref) for ref in sorted(r.refs) if ref.startswith(path)], {}

    @route("POST", "/repos/{owner}/{repo}/git/refs")
    def create_ref(self, *, token: Token, owner: str, repo: str, body: dict[str, Any], **_: Any):
        self._require(token, "contents")
        r = self._repo(owner, repo)
        ref, sha = str(body.get("ref", "")).removeprefix("refs/"), body.get("sha")
        if ref in r.refs:
            raise APIError(422, "Reference already exists")
        if sha not in r.commits:
            raise APIError(422, "Object does not exist")
        r.refs[ref] = sha
        return 201, self._ref_shape(r, ref), {}

    @route("PATCH", "/repos/{owner}/{repo}/git/refs/{path*}")
    def update_ref(self, *, token: Token, owner: str, repo: str, path: str, body: dict[str, Any], **_: Any):
        self._require(token, "contents")
        r = self._repo(owner, repo)
        sha = body.get("sha")
        if path not in r.refs:
            raise APIError(422, "Reference does not exist")
        if sha not in r.commits:
            raise APIError(422, "Object does not exist")
        if not body.get("force") and not self._descends(r, sha, r.refs[path]):
            raise APIError(422, "Update is not a fast forward")
        r.refs[path] = sha
        return 200, self._ref_shape(r, path), {}

    @route("DELETE", "/repos/{owner}/{repo}/git/refs/{path*}")
    def delete_ref(self, *, token: Token, owner: str, repo: str, path: str, **_: Any):
        self._require(token, "contents")
        r = self._repo(owner, repo)
        if r.refs.pop(path, None) is None:
            raise APIError(422, "Reference does not exist")
        return 204, None, {}

    @route("POST", "/repos/{owner}/{repo}/git/blobs")
    def create_blob(self, *, token: Token, owner: str, repo: str, body: dict[str, Any], **_: Any):
        self._require(token, "contents")
        r = self._repo(owner, repo)
        content, encoding = body.get("content"), body.get("encoding", "utf-8")
        if not isinstance(content, str) or encoding not in ("utf-8", "base64"):
            raise APIError(422, "Invalid request.\n\nFor 'properties/content', nil is not a string.")
        data = base64.b64decode(content) if encoding == "base64" else content.encode("utf-8")
        r.blobs[blob_sha(data)] = data
        return 201, {"sha": blob_sha(data), "url": f"{self.base_url}/repos/{r.full_name}/git/blobs/{blob_sha(data)}"}, {}

    @route("GET", "/repos/{owner}/{repo}/git/trees/{sha}")
    def get_tree(self, *, owner: str, repo: str, sha: str, **_: Any):
        r = self._repo(owner, repo)
        if sha not in r.trees:
            raise APIError(404, "Not Found")
        return 200, self._tree_shape(r, sha), {}

    @route("POST", "/repos/{owner}/{repo}/git/trees")
    def create_tree(self, *, token: Token, owner: str, repo: str, body: dict[str, Any], **_: Any):
        """Entries with ``sha`` (a blob), ``content`` (a new blob) or ``sha: null`` (delete) over ``base_tree``."""
        self._require(token, "contents")
        r = self._repo(owner, repo)
        base = body.get("base_tree")
        if base is not None and base not in r.trees:
            raise APIError(422, "Invalid tree info: base_tree does not exist")
        files = dict(r.trees[base]) if base is not None else {}
        for entry in body.get("tree") or []:
            path = entry.get("path")
            if not path or entry.get("type", "blob") != "blob" or entry.get("mode") not in ("100644", "100755"):
                raise APIError(422, "Invalid tree info", errors=[{"resource": "Tree", "field": "tree",
                                                                  "code": "invalid"}])
            if "content" in entry:
                files[path] = str(entry["content"]).encode("utf-8")
            elif entry.get("sha") is None:
                if files.pop(path, None) is None:
                    raise APIError(422, f"GitRPC::BadObjectState: {path} is not in the base tree")
            elif entry["sha"] in r.blobs:
                files[path] = r.blobs[entry["sha"]]
            else:
                raise APIError(422, f"tree.sha {entry['sha']} is not a valid blob")
        return 201, self._tree_shape(r, self._tree(r, files)), {}

    @route("GET", "/repos/{owner}/{repo}/git/commits/{sha}")
    def get_git_commit(self, *, owner: str, repo: str, sha: str, **_: Any):
        r = self._repo(owner, repo)
        if sha not in r.commits:
            raise APIError(404, "Not Found")
        return 200, self._git_commit_shape(r, sha), {}

    @route("POST", "/repos/{owner}/{repo}/git/commits")
    def create_git_commit(self, *, token: Token, owner: str, repo: str, body: dict[str, Any], **_: Any):
        self._require(token, "contents")
        r = self._repo(owner, repo)
        tree, parents = body.get("tree"), list(body.get("parents") or [])
        if tree not in r.trees:
            raise APIError(422, "Tree SHA does not exist")
        if any(p not in r.commits for p in parents):
            raise APIError(422, "Parent SHA does not exist or is not a commit object")
        sha = self._commit(r, dict(r.trees[tree]), str(body.get("message", "")), parents)
        return 201, self._git_commit_shape(r, sha), {}

    @route("GET", "/repos/{owner}/{repo}/contents/{path*}")
    def get_contents(self, *, owner: str, repo: str, path: str, query: dict[str, str], **_: Any):
        r = self._repo(owner, repo)
        ref = query.get("ref") or r.default_branch
        data = r.commits[self._resolve(r, ref)]["files"].get(path)
        if data is None:
            raise APIError(404, "Not Found")
        return 200, self._content_shape(r, path, data, ref), {}

    @route("PUT", "/repos/{owner}/{repo}/contents/{path*}")
    def put_contents(self, *, token: Token, owner: str, repo: str, path: str, body: dict[str, Any], **_: Any):
        self._require(token, "contents")
        r = self._repo(owner, repo)
        branch = body.get("branch") or r.default_branch
        ref = f"heads/{branch}"
        if ref not in r.refs:
            raise APIError(404, f"Branch {branch} not found")
        parent = r.refs[ref]
        files = dict(r.commits[parent]["files"])
        old = files.get(path)
        if old is not None and body.get("sha") is None:
            raise APIError(422, "Invalid request.\n\n\"sha\" wasn't supplied.")
        if old is not None and body.get("sha") != blob_sha(old):
            raise APIError(409, f"{path} does not match {body.get('sha')}")
        files[path] = base64.b64decode(body.get("content", ""))
        sha = self._commit(r, files, str(body.get("message", "")), [parent])
        r.refs[ref] = sha
        url = f"{self.base_url}/repos/{r.full_name}"
        return (200 if old is not None else 201), {
            "content": self._content_shape(r, path, files[path], branch),
            "commit": {"sha": sha, "node_id": f"C_{sha}", "url": f"{url}/git/commits/{sha}",
                       "html_url": f"https://github.com/{r.full_name}/commit/{sha}",
                       "message": body.get("message", ""), "parents": [{"sha": parent}]}}, {}

    @route("GET", "/repos/{owner}/{repo}/labels")
    def list_labels(self, *, owner: str, repo: str, query: dict[str, str], **_: Any):
        r = self._repo(owner, repo)
        return self._page(list(r.labels.values()), query, f"/repos/{owner}/{repo}/labels")

    @route("GET", "/repos/{owner}/{repo}/issues/{number}/labels")
    def list_issue_labels(self, *, owner: str, repo: str, number: str, **_: Any):
        r = self._repo(owner, repo)
        return 200, [r.labels[name] for name in self._pull(r, number)["labels"]], {}

    @route("POST", "/repos/{owner}/{repo}/issues/{number}/labels")
    def add_labels(self, *, token: Token, owner: str, repo: str, number: str, body: Any, **_: Any):
        self._require(token, "issues", "pull-requests")
        r = self._repo(owner, repo)
        pull = self._pull(r, number)
        names = body.get("labels", []) if isinstance(body, dict) else body
        for name in names:
            r.labels.setdefault(name, {"id": next(self._ids), "node_id": f"LA_{name}", "name": name,
                                       "color": "ededed", "description": None, "default": False,
                                       "url": f"{self.base_url}/repos/{r.full_name}/labels/{name}"})
            if name not in pull["labels"]:
                pull["labels"].append(name)
        return 200, [r.labels[name] for name in pull["labels"]], {}

    # -- small helpers ---------------------------------------------------------------------------

    def _comment(self, repo: Repo, comment_id: str) -> dict[str, Any]:
        comment = repo.comments.get(int(comment_id)) if comment_id.isdigit() else None
        if comment is None:
            raise APIError(404, "Not Found")
        return comment

    @staticmethod
    def _comment_text(body: dict[str, Any]) -> str:
        text = body.get("body") if isinstance(body, dict) else None
        if not isinstance(text, str) or not text:
            raise APIError(422, "Validation Failed", errors=[{"resource": "IssueComment", "field": "body",
                                                              "code": "missing_field"}])
        if len(text) > COMMENT_LIMIT:
            raise APIError(422, "Validation Failed", errors=[{
                "resource": "IssueComment", "field": "body", "code": "custom",
                "message": f"body is too long (maximum is {COMMENT_LIMIT} characters)"}])
        return text

    @staticmethod
    def _descends(repo: Repo, sha: str, ancestor: str) -> bool:
        seen, todo = set(), [sha]
        while todo:
            current = todo.pop()
            if current == ancestor:
                return True
            if current not in seen:
                seen.add(current)
                todo.extend(repo.commits.get(current, {}).get("parents", []))
        return False


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
