"""What promotion, completion and rollback share: the settings they need, and the edits that pin
a registered version in the manifest (with the canary's traffic share when one is configured)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from ..config import GateConfig
from ..errors import ConfigError, InputError
from ..manifests import ManifestEdit, render_edits, set_or_add, unified_diff
from ._pull import ManifestFile, read_manifest

FULL_TRAFFIC = 100

# (token, api_url or None) -> a PyGithub client; tests pass one pointed at the local GitHub API
GitHubClientFactory = Callable[[str, "str | None"], Any]


def promote_settings(config: GateConfig) -> Any:
    if config.promote is None:
        raise ConfigError("promotion needs a `promote:` section (mlflow, manifests); see the README's "
                          "Promotion section", **config.where("promote"))
    return config.promote


def model_name_of(config: GateConfig) -> str:
    if config.model is None:
        raise ConfigError("promotion needs `model.name` and `model.source`", **config.where("model"))
    return config.model.name


def model_and_source(config: GateConfig) -> tuple[str, str]:
    name = model_name_of(config)
    if not config.model.source:
        raise ConfigError("promotion needs `model.source`: what the manifest pins, e.g. hf://org/model@rev",
                          **config.where("model.source"))
    return name, config.model.source


def check_registry_input(name: str, source: str, alias: str) -> None:
    # the registry checks these itself, but only after the run is logged; checking first keeps
    # bad input from leaving anything behind
    from ..registry import check_alias, check_model_name, check_source

    check_model_name(name)
    check_source(source)
    check_alias(alias)


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


@dataclass(frozen=True)
class ManifestChange:
    """The manifest files as on the base branch, and as the edits leave them."""

    before: tuple[ManifestFile, ...]
    after: tuple[ManifestFile, ...]

    @property
    def changed(self) -> tuple[ManifestFile, ...]:
        return tuple(new for old, new in zip(self.before, self.after) if old.text != new.text)

    @property
    def diff(self) -> str:
        return "".join(unified_diff(old.path, old.text, new.text) for old, new in zip(self.before, self.after))


def read_manifests(repo: Any, manifests: Any) -> tuple[ManifestFile, ...]:
    return tuple(read_manifest(repo, manifests.repo, f.path, manifests.base) for f in manifests.manifest_files())


def pin_in_manifests(before: tuple[ManifestFile, ...], settings: Any, context: Mapping[str, Any],
                     traffic: int | None) -> ManifestChange:
    """Every file's ``set:`` edits for ``context``; the canary's share goes in the first file."""
    manifests = settings.manifests
    after = []
    for index, (file, config) in enumerate(zip(before, manifests.manifest_files())):
        edits = pinning_edits(settings, config.set, context, traffic if index == 0 else None)
        where = f"{manifests.repo}:{file.path}@{manifests.base}"
        after.append(ManifestFile(file.path, edit_manifest(file.text, edits, where)))
    return ManifestChange(before, tuple(after))
