"""Aliases (``candidate``, ``champion``) and the history of where each pointed, for rollback.

MLflow keeps only an alias's current version, so gatewise keeps the sequence of versions each
alias pointed at in a tag on the registered model, ``gatewise.<alias>_history`` (a JSON list of
``{"version", "at"}``, newest last). ``previous_version`` reads it: the version the alias
pointed at before its current one. Rolling back appends too, so a second rollback returns to
where the first started, like ``cd -``.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from ._errors import RegistryInputError, is_not_found, registry_errors
from ._names import check_alias, check_model_name, check_version

HISTORY_LIMIT = 100  # entries kept; registry tag values are limited in size


def history_tag(alias: str) -> str:
    return f"gatewise.{alias}_history"


def registered_model(client: Any, model_name: str) -> Any | None:
    """The registered model (aliases and tags in one read), or None when it does not exist."""
    from mlflow.exceptions import MlflowException

    try:
        return client.get_registered_model(model_name)
    except MlflowException as exc:
        if is_not_found(exc):
            return None
        raise


def alias_target(model: Any | None, alias: str) -> str | None:
    """The version ``alias`` points at on ``model``, or None."""
    if model is None:
        return None
    return str((model.aliases or {}).get(alias) or "") or None


def history_of(model: Any | None, alias: str) -> list[str]:
    """The versions ``alias`` pointed at according to ``model``'s history tag, oldest first."""
    return [entry["version"] for entry in _entries(model, alias)]


def alias_history(client: Any, model_name: str, alias: str) -> list[str]:
    """The versions ``alias`` pointed at, oldest first, as recorded by gatewise."""
    check_model_name(model_name)
    check_alias(alias)
    with registry_errors(client, f"reading the {alias!r} history of {model_name!r}"):
        return history_of(registered_model(client, model_name), alias)


def previous_version(client: Any, model_name: str, alias: str = "champion") -> str | None:
    """The version ``alias`` pointed at before its current one (what rollback moves it back to)."""
    check_model_name(model_name)
    check_alias(alias)
    with registry_errors(client, f"reading the {alias!r} history of {model_name!r}"):
        model = registered_model(client, model_name)
    current = alias_target(model, alias)
    for version in reversed(history_of(model, alias)):
        if version != current:
            return version
    return None


def move_alias(client: Any, model_name: str, alias: str, version: str | int) -> str | None:
    """Point ``alias`` at ``version`` and record it in the history; the version it left, if any.

    Pointing an alias where it already points changes nothing. The alias moves before the history
    is written, so a crash in between leaves the alias right and the next move or promotion
    repairs the history.
    """
    check_model_name(model_name)
    check_alias(alias)
    version = check_version(version)
    with registry_errors(client, f"moving alias {alias!r} of {model_name!r} to version {version}"):
        _require_version(client, model_name, version)
        model = registered_model(client, model_name)
        before = alias_target(model, alias)
        if before != version:
            client.set_registered_model_alias(model_name, alias, version)
        record_alias(client, model, alias, version, before=before)
    return before if before != version else None


def record_alias(client: Any, model: Any, alias: str, version: str, *, before: str | None) -> None:
    """Append ``version`` to ``model``'s alias history unless it is already the newest entry.

    ``before``: where the alias pointed before this move; when someone moved it by hand, that
    version is recorded first so ``previous_version`` stays truthful.
    """
    history = _entries(model, alias)
    newest = history[-1]["version"] if history else None
    if before is not None and before != newest and before != version:
        history.append({"version": before, "at": None})
        newest = before
    if newest == version:
        return
    history.append({"version": version, "at": datetime.now(timezone.utc).isoformat(timespec="seconds")})
    client.set_registered_model_tag(model.name, history_tag(alias),
                                    json.dumps(history[-HISTORY_LIMIT:], separators=(",", ":")))


def _entries(model: Any | None, alias: str) -> list[dict[str, Any]]:
    raw = (model.tags or {}).get(history_tag(alias)) if model is not None else None
    try:
        entries = json.loads(raw) if raw else []
    except ValueError:
        entries = []  # edited by hand into something else: start a fresh history
    if not isinstance(entries, list):
        return []
    return [{"version": str(e["version"]), "at": e.get("at")} for e in entries
            if isinstance(e, dict) and str(e.get("version", "")).isdigit()]


def _require_version(client: Any, model_name: str, version: str) -> None:
    from mlflow.exceptions import MlflowException

    try:
        client.get_model_version(model_name, version)
    except MlflowException as exc:
        if is_not_found(exc):
            raise RegistryInputError(f"registered model {model_name!r} has no version {version}") from None
        raise
