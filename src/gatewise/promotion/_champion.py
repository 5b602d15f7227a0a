"""Moving the ``champion`` alias with a manifests PR: completing a canary, or rolling back.

Both pin one registered version (its ``model.source`` through the ``set:`` templates, and all
traffic when a canary is configured) and point ``champion`` at it. The PR is written first and
the alias moved last: a run that dies in between opens nothing twice on re-run and then moves
the alias, whereas an alias moved first would make a rollback's re-run pick another target.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from ..config import GateConfig
from ..errors import InputError
from ..registry import (ModelVersion, alias_version, check_model_name, connect, get_version, move_alias,
                        previous_version, public_uri, tracking_uri_or_default)
from ._body import champion_body, champion_title
from ._pin import (FULL_TRAFFIC, GitHubClientFactory, manifests_token, model_name_of, pin_in_manifests,
                   promote_settings, read_manifests, version_context)
from ._pull import open_pull

CHAMPION = "champion"


@dataclass(frozen=True)
class ChampionMove:
    model_name: str
    version: str  # the version champion points at now (or would, in a dry run)
    source: str
    previous: str | None  # where champion pointed before
    manifests_repo: str
    manifest_path: str
    diff: str  # the manifest edit on the base branch ("" when it already pins the version)
    dry_run: bool
    alias_moved: bool = False
    pr_url: str | None = None
    pr_number: int | None = None
    pr_created: bool = False

    @property
    def already_done(self) -> bool:
        return not self.diff and not self.alias_moved and self.previous == self.version


def complete(config: GateConfig, *, github_client_factory: GitHubClientFactory, dry_run: bool = False,
             environ: Mapping[str, str] | None = None) -> ChampionMove:
    """Move all traffic to the version the promote alias (``candidate``) points at; make it champion."""
    settings = promote_settings(config)
    name = model_name_of(config)
    check_model_name(name)
    token = manifests_token(settings, os.environ if environ is None else environ)
    client = _client(config, settings)
    alias = settings.mlflow.alias
    number = alias_version(client, name, alias)
    if number is None:
        raise InputError(f"nothing to complete: no version of {name!r} has the alias {alias!r}; "
                         "run `gatewise promote` first")
    return _move_champion(config, settings, client, get_version(client, name, number), token=token,
                          github_client_factory=github_client_factory, rollback=False, dry_run=dry_run)


def rollback(config: GateConfig, *, github_client_factory: GitHubClientFactory, model: str | None = None,
             to: str | None = None, dry_run: bool = False, environ: Mapping[str, str] | None = None) -> ChampionMove:
    """Point ``champion`` back at ``to`` (default: the version it held before) and pin it."""
    settings = promote_settings(config)
    name = model or model_name_of(config)
    check_model_name(name)
    token = manifests_token(settings, os.environ if environ is None else environ)
    client = _client(config, settings)
    if to is None:
        to = previous_version(client, name, CHAMPION)
        if to is None:
            raise InputError(f"nothing to roll back to: {name!r} has no earlier {CHAMPION!r} in its alias history "
                             "(gatewise.champion_history); name a version with --to")
    return _move_champion(config, settings, client, get_version(client, name, to), token=token,
                          github_client_factory=github_client_factory, rollback=True, dry_run=dry_run)


def _client(config: GateConfig, settings: Any) -> Any:
    return connect(tracking_uri_or_default(settings.mlflow.tracking_uri, Path(config.base_dir)))


def _move_champion(config: GateConfig, settings: Any, client: Any, target: ModelVersion, *, token: str,
                   github_client_factory: GitHubClientFactory, rollback: bool, dry_run: bool) -> ChampionMove:
    manifests = settings.manifests
    name, number = target.name, target.version
    previous = alias_version(client, name, CHAMPION)
    context = version_context(name, target.source, number, target.git_sha)
    repo = github_client_factory(token, manifests.api_url).get_repo(manifests.repo)
    change = pin_in_manifests(read_manifests(repo, manifests), settings, context, FULL_TRAFFIC)
    done = {"model_name": name, "version": number, "source": target.source, "previous": previous,
            "manifests_repo": manifests.repo, "manifest_path": change.before[0].path, "diff": change.diff}
    if dry_run:
        return ChampionMove(**done, dry_run=True)
    pull = None
    if change.changed:
        title = champion_title(name, number, target.source, rollback=rollback)
        tracking = public_uri(tracking_uri_or_default(settings.mlflow.tracking_uri, Path(config.base_dir)))
        body = champion_body(name=name, version=number, source=target.source, run_id=target.run_id,
                             previous=previous, rollback=rollback, tracking_uri=tracking,
                             canary_path=settings.canary.path if settings.canary is not None else None)
        suffix = "rollback" if rollback else "complete"
        pull = open_pull(repo, manifests.repo, base=manifests.base, branch=f"gatewise/{name}-v{number}-{suffix}",
                         files=change.changed, message=title, title=title, body=body,
                         labels=manifests.labels, model_name=name)
    move_alias(client, name, CHAMPION, number)  # also records the history that rollback reads
    return ChampionMove(**done, dry_run=False, alias_moved=previous != number,
                        pr_url=pull.url if pull else None, pr_number=pull.number if pull else None,
                        pr_created=pull.created if pull else False)
