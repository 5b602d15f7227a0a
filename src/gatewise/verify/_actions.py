"""What each outcome does: the completion or rollback PR through the promotion code, and a tag on
the candidate version so that a re-run re-applies the same decision instead of measuring anew."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from ..config import GateConfig
from ..errors import ConfigError

DECISION_TAG = "gatewise.verify"


def wants_registry(config: GateConfig) -> bool:
    verify = config.verify
    return verify.on_complete == "pr" or verify.on_rollback == "pr"


def _registry(config: GateConfig) -> tuple[Any, str, str]:
    """The MLflow client, the model name and the candidate version the promote alias points at."""
    from ..promotion._pin import model_name_of, promote_settings
    from ..registry import alias_version, connect, tracking_uri_or_default
    from ..errors import InputError

    if config.promote is None:
        raise ConfigError("verify.on_complete / on_rollback: pr needs a promote: section (MLflow and the "
                          "manifests repo); or set them to report", **config.where("verify"))
    settings = promote_settings(config)
    name = model_name_of(config)
    client = connect(tracking_uri_or_default(settings.mlflow.tracking_uri, Path(config.base_dir)))
    version = alias_version(client, name, settings.mlflow.alias)
    if version is None:
        raise InputError(f"nothing to verify: no version of {name!r} has the alias {settings.mlflow.alias!r}; "
                         "run `gatewise promote` first")
    return client, name, version


def recorded_decision(config: GateConfig) -> str | None:
    """The outcome an earlier run recorded on the candidate version, if any."""
    from ..registry import get_version

    client, name, version = _registry(config)
    return get_version(client, name, version).tags.get(DECISION_TAG) or None


@dataclass(frozen=True)
class Acted:
    """What ``act`` did, in words, and the manifests PR it opened or found up to date."""

    lines: tuple[str, ...] = ()
    pr_url: str | None = None


def act(config: GateConfig, outcome: str, *, github_client_factory: Callable,
        environ: Mapping[str, str] | None = None) -> Acted:
    """Carry out ``outcome`` as configured; each step is safe to repeat. Returns what was done."""
    from ..promotion import complete, rollback
    from ..registry import alias_version
    from ..registry._errors import registry_errors
    from ..errors import InputError

    verify = config.verify
    if outcome == "wait" or (verify.on_complete if outcome == "complete" else verify.on_rollback) == "report":
        return Acted(() if outcome == "wait" else (f"{outcome}: only reported (verify.on_{outcome}: report)",))
    client, name, candidate = _registry(config)
    if outcome == "complete":
        moved = complete(config, github_client_factory=github_client_factory, environ=environ)
    else:
        champion = alias_version(client, name, "champion")
        if champion is None or champion == candidate:
            raise InputError(f"cannot roll back version {candidate} of {name!r}: there is no other champion "
                             "to return to")
        # all traffic back to the champion; the alias stays where it is
        moved = rollback(config, github_client_factory=github_client_factory, to=champion, environ=environ)
    with registry_errors(client, f"tagging version {candidate} of {name!r}"):
        client.set_model_version_tag(name, candidate, DECISION_TAG, outcome)
    done = [f"champion of {name}: version {moved.version}" + (f" (was {moved.previous or 'nowhere'})" if moved.alias_moved else "")]
    if moved.pr_url:
        done.append(f"{outcome} PR {'opened' if moved.pr_created else 'up to date'}: {moved.pr_url}")
    else:
        done.append(f"{moved.manifests_repo}:{moved.manifest_path} already pins version {moved.version}")
    done.append(f"version {candidate} tagged {DECISION_TAG}={outcome}")
    return Acted(tuple(done), moved.pr_url)
