"""The promotion itself: validate everything, then MLflow, then the manifests pull request."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from ..config import GateConfig
from ..registry import Lineage, connect, log_gate_run, public_uri, register_version, tracking_uri_or_default
from ._body import pull_body, pull_title
from ._gate_result import check_gate_result, result_dir_of
from ._pin import (GitHubClientFactory, ManifestChange, check_registry_input, manifests_token, model_and_source,
                   pin_in_manifests, promote_settings, read_manifests, version_context)
from ._pull import open_pull

# what {registry.version} reads as in a dry run, where nothing is registered
PREVIEW_VERSION = "<next>"


@dataclass(frozen=True)
class PromotionResult:
    model_name: str
    source: str
    manifests_repo: str
    manifest_path: str  # the first (or only) manifest file
    diff: str  # unified diff of the manifest edits on the base branch ("" when already pinned)
    dry_run: bool
    run_id: str | None = None
    version: str | None = None
    alias: str | None = None
    created: bool = False  # a new model version was registered (False on a re-run)
    already_pinned: bool = False  # the base branch already pins these values: no PR
    pr_url: str | None = None
    pr_number: int | None = None
    pr_created: bool = False
    superseded: tuple[int, ...] = ()
    newer_version: str | None = None  # the alias has moved on to this version: no PR for an old one
    manifest_paths: tuple[str, ...] = ()  # every manifest file edited


def promote(config: GateConfig, result: str | Path, *, github_client_factory: GitHubClientFactory,
            dry_run: bool = False, environ: Mapping[str, str] | None = None) -> PromotionResult:
    """Promote the gate result at ``result`` (gate-result.json or its directory) for ``config``."""
    env = os.environ if environ is None else environ
    settings = promote_settings(config)
    name, source = model_and_source(config)
    document = check_gate_result(config, result)
    manifests = settings.manifests
    token = manifests_token(settings, env)
    lineage = Lineage.from_environment(model_source=source, environ=env)
    check_registry_input(name, source, settings.mlflow.alias)
    canary = settings.canary.traffic_percent if settings.canary is not None else None

    def pinned(version: str, traffic: int | None) -> ManifestChange:
        return pin_in_manifests(base, settings, version_context(name, source, version, lineage.git_sha), traffic)

    repo = github_client_factory(token, manifests.api_url).get_repo(manifests.repo)
    base = read_manifests(repo, manifests)
    common = {"model_name": name, "source": source, "manifests_repo": manifests.repo,
              "manifest_path": base[0].path, "manifest_paths": tuple(f.path for f in base)}
    preview = pinned(PREVIEW_VERSION, canary)  # every edit is checked before anything is written
    if dry_run:
        diff = preview.diff if pinned(PREVIEW_VERSION, None).changed else ""
        return PromotionResult(**common, diff=diff, dry_run=True)

    client = connect(tracking_uri_or_default(settings.mlflow.tracking_uri, Path(config.base_dir)))
    # the version links to the tracked gate run that justified it; a run of its own only when
    # this server holds no such run (tracking off, another server, or its logging failed)
    run_id = _tracked_gate_run(client, config, result_dir_of(result)) or log_gate_run(
        client, settings.mlflow.experiment, result_dir_of(result), lineage)
    version = register_version(client, name, source, run_id, lineage, alias=settings.mlflow.alias)
    registered = {**common, "dry_run": False, "run_id": run_id, "version": version.version,
                  "alias": version.alias, "created": version.created}
    # pinned already (the canary's share aside, which --complete moves on): nothing to open
    if not pinned(version.version, None).changed:
        return PromotionResult(**registered, diff="", already_pinned=True)
    if version.alias_version != version.version:
        # a replayed older promotion: the alias has moved on, so its PR must not come back
        return PromotionResult(**registered, diff="", newer_version=version.alias_version)
    change = pinned(version.version, canary)

    tracking = public_uri(tracking_uri_or_default(settings.mlflow.tracking_uri, Path(config.base_dir)))
    title = pull_title(name, version.version, source)
    pull = open_pull(repo, manifests.repo, base=manifests.base, branch=f"gatewise/{name}-v{version.version}",
                     files=change.changed, message=title, title=title,
                     body=pull_body(document, name=name, source=source, version=version, run_id=run_id,
                                    lineage=lineage, tracking_uri=tracking, canary=canary),
                     labels=manifests.labels, model_name=name)
    return PromotionResult(**registered, diff=change.diff, pr_url=pull.url, pr_number=pull.number,
                           pr_created=pull.created, superseded=pull.superseded)


def _tracked_gate_run(client, config: GateConfig, result_dir: Path) -> str | None:
    from ..registry._errors import registry_errors
    from ..tracking import linked_gate_run

    with registry_errors(client, "looking up the tracked gate run"):
        return linked_gate_run(client, config, result_dir)
