"""The manifests repository: read the manifest, write the branch and commit, open or update one PR.

One pull request per model: the branch is ``gatewise/<model>-v<version>`` (``-complete`` or
``-rollback`` appended when the champion alias moves). All edited files go in one commit. A re-run finds its own
branch and PR and changes nothing; an open PR for an older version of the same model (same branch
prefix) is closed with a comment pointing at the new one, so reviewers never see two.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from ..forge import github_errors


@dataclass(frozen=True)
class ManifestFile:
    path: str
    text: str


@dataclass(frozen=True)
class PullRef:
    number: int
    url: str
    created: bool  # False: an open PR for this branch existed and was updated
    committed: bool  # False: the branch already held the edited file
    superseded: tuple[int, ...]  # older gatewise PRs of the same model, closed


def branch_prefix(model_name: str) -> str:
    return f"gatewise/{model_name}-v"


def read_manifest(repo: Any, repo_name: str, path: str, ref: str) -> ManifestFile:
    with github_errors(f"read {path} at {ref}", repo_name, "contents: read"):
        contents = repo.get_contents(path, ref=ref)
        if isinstance(contents, list):
            from ..errors import InputError

            raise InputError(f"{repo_name}: {path} is a directory, not a manifest file")
        # bytes decoded as they are, so CRLF and a missing final newline survive the edit
        return ManifestFile(path, contents.decoded_content.decode("utf-8"))


def open_pull(repo: Any, repo_name: str, *, base: str, branch: str, files: Sequence[ManifestFile], message: str,
              title: str, body: str, labels: Sequence[str], model_name: str) -> PullRef:
    """Commit ``files`` to ``branch`` (made from ``base``, or reused) in one commit; open or update the PR.

    The commit goes through the git data API (blobs, a tree, a commit, then the ref), so several
    files land in one commit, and a new branch appears only once its commit exists: a failure on
    the way leaves no empty branch behind.
    """
    import github

    paths = ", ".join(f.path for f in files)
    with github_errors(f"commit {paths} to {branch}", repo_name, "contents: write"):
        try:
            ref = repo.get_git_ref(f"heads/{branch}")
            head = ref.object.sha  # the client is lazy: reading fetches
        except github.UnknownObjectException:
            ref, head = None, repo.get_git_ref(f"heads/{base}").object.sha
        on_branch = branch if ref is not None else base
        stale = [f for f in files
                 if repo.get_contents(f.path, ref=on_branch).decoded_content != f.text.encode("utf-8")]
        committed = bool(stale)
        if committed:
            sha = _commit(repo, head, stale, message)
            if ref is None:
                repo.create_git_ref(f"refs/heads/{branch}", sha)
            else:
                ref.edit(sha)  # fast-forward only: someone else's push to the branch is never lost
        elif ref is None:
            repo.create_git_ref(f"refs/heads/{branch}", head)
    owner = repo_name.split("/")[0]
    with github_errors(f"open a pull request from {branch}", repo_name, "pull-requests: write"):
        existing = list(repo.get_pulls(state="open", head=f"{owner}:{branch}", base=base))
        if existing:
            pull = existing[0]
            if pull.title != title or (pull.body or "") != body:
                pull.edit(title=title, body=body)
        else:
            pull = repo.create_pull(title=title, body=body, head=branch, base=base)
        if labels:
            pull.add_to_labels(*labels)
        superseded = []
        for other in repo.get_pulls(state="open", base=base):
            ours = other.head.repo is not None and other.head.repo.full_name == repo_name
            if ours and other.number != pull.number and other.head.ref.startswith(branch_prefix(model_name)):
                other.create_issue_comment(f"Superseded by #{pull.number} ({title}); closed by gatewise.")
                other.edit(state="closed")
                superseded.append(other.number)
    return PullRef(pull.number, pull.html_url, created=not existing, committed=committed,
                   superseded=tuple(superseded))


def _commit(repo: Any, parent_sha: str, files: Sequence[ManifestFile], message: str) -> str:
    """One commit on ``parent_sha`` holding every file of ``files``; its sha."""
    import base64

    from github import InputGitTreeElement

    parent = repo.get_git_commit(parent_sha)
    # base64 blobs: the bytes land exactly as edited (CRLF, no final newline)
    blobs = [repo.create_git_blob(base64.b64encode(f.text.encode("utf-8")).decode("ascii"), "base64") for f in files]
    elements = [InputGitTreeElement(f.path, "100644", "blob", sha=blob.sha) for f, blob in zip(files, blobs)]
    tree = repo.create_git_tree(elements, parent.tree)
    return repo.create_git_commit(message, tree, [parent]).sha
