"""Pull request, issue, comment, label and commit status endpoints."""

from __future__ import annotations

from typing import Any

from ._state import COMMENT_LIMIT, STATUS_DESCRIPTION_LIMIT, APIError, Repo, Token, now as _now, route


class IssueRoutes:
    """Mixin of the server: pulls, issues, comments, labels, statuses."""

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

