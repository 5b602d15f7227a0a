"""GitHub's JSON shapes for the objects the local API keeps (the fields PyGithub reads)."""

from __future__ import annotations

import base64
from typing import Any

from ._state import Repo, blob_sha, now as _now


class Shapes:
    """Mixin: ``base_url`` and ``repos`` come from the server."""

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

