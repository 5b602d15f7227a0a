"""Checks on the names a promotion sends to MLflow, so bad input fails before anything is written.

The rules are MLflow's own (model names, alias names, metric keys), restated here so the
message can say what to fix and so the check needs no server.
"""

from __future__ import annotations

import posixpath
import re

from ._errors import RegistryInputError

MAX_NAME = 250
_ALIAS = re.compile(r"^[\w\-]+$")
_VERSION_ALIAS = re.compile(r"^[vV]\d+$")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.\-]*://\S+$")
_METRIC_BAD_CHARS = re.compile(r"[^\w.\- /]")


def check_model_name(name: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise RegistryInputError("the registered model name is empty (set model.name in the gate config)")
    if "/" in name or ":" in name:
        raise RegistryInputError(f"invalid registered model name {name!r}: it may not contain '/' or ':'")
    if posixpath.normpath(name) != name or name.startswith("."):
        raise RegistryInputError(f"invalid registered model name {name!r}: it must not look like a path")
    if len(name) > MAX_NAME:
        raise RegistryInputError(f"invalid registered model name: longer than {MAX_NAME} characters")
    return name


def check_alias(alias: str) -> str:
    if not isinstance(alias, str) or not _ALIAS.match(alias):
        raise RegistryInputError(f"invalid alias {alias!r}: use letters, digits, '_' and '-' only")
    if alias.lower() == "latest" or _VERSION_ALIAS.match(alias):
        raise RegistryInputError(f"invalid alias {alias!r}: 'latest' and 'v<number>' are reserved by MLflow")
    if len(alias) > 255:
        raise RegistryInputError("invalid alias: longer than 255 characters")
    return alias


def check_source(source: str | None) -> str:
    """A storage URI such as ``s3://bucket/model`` or ``hf://org/model@revision``."""
    if not source or not source.strip():
        raise RegistryInputError("the model source is empty (set model.source in the gate config, "
                                 "e.g. hf://org/model@<revision> or s3://bucket/path)")
    if not _SCHEME.match(source) or "'" in source or '"' in source:
        raise RegistryInputError(f"invalid model source {source!r}: expected a storage URI such as "
                                 "hf://org/model@<revision> or s3://bucket/path, without spaces or quotes")
    if any(part == ".." for part in source.split("/")):
        raise RegistryInputError(f"invalid model source {source!r}: '..' is not allowed in a source")
    return source


def check_version(version: str | int) -> str:
    text = str(version).strip()
    if not text.isdigit() or int(text) < 1:
        raise RegistryInputError(f"invalid model version {version!r}: expected a positive number")
    return str(int(text))


def metric_key(metric: str, statistic: str) -> str:
    """``metric.statistic`` made a valid MLflow metric key (characters and path rules)."""
    key = _METRIC_BAD_CHARS.sub("_", f"{metric}.{statistic}")
    # MLflow also treats keys as paths: no leading '/', no '//', no '.' or '..' segments
    parts = [part for part in key.split("/") if part not in ("", ".", "..")]
    return "/".join(parts) or "_"
