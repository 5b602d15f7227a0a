"""Registering what a promotion pins as a model version: idempotent, linked to its run.

Why a registered model *version* and not an MLflow 3 *logged model*: gatewise never holds the
weights. What it promotes is a pointer that already exists elsewhere (``s3://…``,
``hf://org/model@revision``) and that the KServe manifest pins verbatim. A model version records
exactly that (its ``source`` is the URI, with the gate run linked by ``run_id``), and aliases
(``candidate``, ``champion``), which promotion and rollback move, exist only on model versions.
A logged model is MLflow's store for artifacts it logged itself (``log_model``); using one would
add a third entity, and an artifact copy or a placeholder, without changing what is deployed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Mapping

from ._alias import alias_target, history_of, record_alias
from ._errors import error_code, registry_errors
from ._lineage import Lineage
from ._names import check_alias, check_model_name, check_source

PROMOTION_KEY = "gatewise.promotion_key"
# run params copied onto the version as tags, so the registry alone answers "what was gated"
_PARAM_TAGS = {"config_sha256": "gatewise.config_sha256", "dataset_sha256": "gatewise.dataset_sha256",
               "prompt_sha256": "gatewise.prompt_sha256", "endpoint_model": "gatewise.endpoint_model",
               "endpoint_model_ids": "gatewise.endpoint_model_ids"}


@dataclass(frozen=True)
class RegisteredVersion:
    name: str
    version: str
    source: str
    run_id: str | None
    alias: str
    created: bool  # False: this promotion had been registered before, nothing new was made
    alias_moved: bool  # True: this call pointed the alias at the version
    alias_version: str | None  # where the alias points after the call
    tags: Mapping[str, str] = field(default_factory=dict)


def promotion_key(git_sha: str | None, source: str) -> str:
    """What makes two promotions the same: the commit and the source it pins (hex, filter-safe)."""
    return hashlib.sha256(f"{git_sha or ''}\n{source}".encode()).hexdigest()


def register_version(client: Any, model_name: str, source: str, run_id: str | None,
                     lineage: Lineage, alias: str = "candidate") -> RegisteredVersion:
    """Register ``source`` as a version of ``model_name`` linked to ``run_id``, and set ``alias``.

    Idempotent: a version with the same git sha and source is found by its
    ``gatewise.promotion_key`` tag and reused (``created=False``); a run that died between
    registering and aliasing completes the alias on re-run. A version whose alias has since moved
    on (its history shows it held the alias) is not pulled back: replaying an old promotion
    changes nothing.
    """
    check_model_name(model_name)
    check_source(source)
    check_alias(alias)
    key = promotion_key(lineage.git_sha, source)
    with registry_errors(client, f"registering {source} as a version of {model_name!r}", input_codes=True):
        tags = {**lineage.tags(), "gatewise.source": source, PROMOTION_KEY: key,
                **_run_tags(client, run_id)}
        _ensure_registered_model(client, model_name)
        existing = _find_version(client, model_name, key)
        version = existing or client.create_model_version(model_name, source, run_id=run_id, tags=tags)
        number = str(version.version)
        model = client.get_registered_model(model_name)
        before = alias_target(model, alias)
        moved = before != number and number not in history_of(model, alias)
        if moved:
            client.set_registered_model_alias(model_name, alias, number)
        if moved or before == number:
            record_alias(client, model, alias, number, before=before)
        after = number if moved else before
    return RegisteredVersion(name=model_name, version=number, source=version.source,
                             run_id=version.run_id or None, alias=alias, created=existing is None,
                             alias_moved=moved, alias_version=after, tags=dict(version.tags or {}))


def _run_tags(client: Any, run_id: str | None) -> dict[str, str]:
    if not run_id:
        return {}
    params = client.get_run(run_id).data.params
    return {tag: params[param] for param, tag in _PARAM_TAGS.items() if params.get(param)}


def _ensure_registered_model(client: Any, model_name: str) -> None:
    from mlflow.exceptions import MlflowException

    try:
        client.create_registered_model(model_name, description="Promoted by gatewise")
    except MlflowException as exc:
        if error_code(exc) != "RESOURCE_ALREADY_EXISTS":
            raise


def _find_version(client: Any, model_name: str, key: str) -> Any | None:
    # the key is hex, safe inside the filter's quotes; a model name need not be, so it is
    # compared here rather than in the filter
    found = client.search_model_versions(f"tags.`{PROMOTION_KEY}` = '{key}'", max_results=100)
    matches = sorted((v for v in found if v.name == model_name), key=lambda v: int(v.version))
    return matches[0] if matches else None
