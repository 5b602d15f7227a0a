"""What promotion, completion and rollback share: the settings they need, and the edits that pin
a registered version in the manifest (with the canary's traffic share when one is configured)."""

from __future__ import annotations

from typing import Any, Mapping

from ..config import GateConfig
from ..errors import ConfigError, InputError
from ..manifests import ManifestEdit, render_edits, set_or_add

FULL_TRAFFIC = 100


def promote_settings(config: GateConfig) -> Any:
    if config.promote is None:
        raise ConfigError("promotion needs a `promote:` section (mlflow, manifests); see the README's "
                          "Promotion section", **config.where("promote"))
    return config.promote


def model_name_of(config: GateConfig) -> str:
    if config.model is None:
        raise ConfigError("promotion needs `model.name` and `model.source`", **config.where("model"))
    return config.model.name


def manifests_token(settings: Any, env: Mapping[str, str]) -> str:
    manifests = settings.manifests
    token = env.get(manifests.token_env, "").strip()
    if not token:
        raise InputError(f"the environment variable {manifests.token_env} (promote.manifests.token_env) is not "
                         f"set: it must hold a token that may write contents and pull requests in {manifests.repo}")
    return token


def version_context(name: str, source: str, version: str, git_sha: str | None) -> dict[str, Any]:
    """What ``set:`` templates may name: {model.name}, {model.source}, {registry.version}, {git.sha}."""
    return {"model": {"name": name, "source": source}, "registry": {"version": version},
            "git": {"sha": git_sha}}


def pinning_edits(settings: Any, set_templates: Mapping[str, Any], context: Mapping[str, Any],
                  traffic: int | None) -> tuple[ManifestEdit, ...]:
    """The ``set:`` edits rendered for ``context``, plus the canary's traffic share when configured.

    ``traffic``: the share to set (the canary's on a promotion, 100 to complete or roll back);
    ignored without ``promote.canary``.
    """
    edits = render_edits(set_templates, context)
    if settings.canary is not None and traffic is not None:
        edits += (ManifestEdit(settings.canary.path, traffic),)
    return edits


def edit_manifest(text: str, edits: tuple[ManifestEdit, ...], where: str) -> str:
    return set_or_add(text, edits, file=where).text
