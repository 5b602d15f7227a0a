"""Git endpoints: commits, refs, blobs, trees (the git data API) and file contents."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from ._state import APIError, Repo, Token, blob_sha, route


class GitRoutes:
    """Mixin of the server: refs, commits, trees, blobs, contents."""

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
