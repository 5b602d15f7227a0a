"""Reading a registered version by number or by alias: what ``--complete`` and rollback pin."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from ._alias import alias_target, registered_model
from ._errors import RegistryInputError, is_not_found, registry_errors
from ._names import check_alias, check_model_name, check_version


@dataclass(frozen=True)
class ModelVersion:
    name: str
    version: str
    source: str
    run_id: str | None
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def git_sha(self) -> str | None:
        return self.tags.get("gatewise.git_sha") or None


def get_version(client: Any, model_name: str, version: str | int) -> ModelVersion:
    """Version ``version`` of ``model_name``; an unknown one is a ``RegistryInputError`` (exit 2)."""
    from mlflow.exceptions import MlflowException

    check_model_name(model_name)
    number = check_version(version)
    with registry_errors(client, f"reading version {number} of {model_name!r}"):
        try:
            found = client.get_model_version(model_name, number)
        except MlflowException as exc:
            if is_not_found(exc):
                raise RegistryInputError(f"registered model {model_name!r} has no version {number}") from None
            raise
    return ModelVersion(model_name, str(found.version), found.source, found.run_id or None,
                        dict(found.tags or {}))


def alias_version(client: Any, model_name: str, alias: str) -> str | None:
    """The version ``alias`` points at, or None (no such model, or the alias is unset)."""
    check_model_name(model_name)
    check_alias(alias)
    with registry_errors(client, f"reading alias {alias!r} of {model_name!r}"):
        return alias_target(registered_model(client, model_name), alias)
