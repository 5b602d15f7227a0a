"""Tracking URIs: the embedded default, and how a URI may be shown (never with credentials)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

DEFAULT_DB = "mlruns.db"
DEFAULT_ARTIFACTS = "mlartifacts"

_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/\s@]*@")
_SECRET_QUERY = re.compile(r"(?i)([?&][^=&\s]*(?:token|key|secret|password|signature|sig)[^=&\s]*=)[^&\s]+")


def tracking_uri_or_default(uri: str | None, base: Path) -> str:
    """``uri`` when one is configured, else a local sqlite file ``base/mlruns.db`` (no server).

    An empty string counts as unset: GitHub Actions passes unset inputs as ``""``.
    """
    if uri and uri.strip():
        return uri.strip()
    return f"sqlite:///{(Path(base).resolve() / DEFAULT_DB).as_posix()}"


def local_sqlite_path(uri: str) -> Path | None:
    """The database file of a ``sqlite:///…`` tracking URI, else None."""
    if not uri.startswith("sqlite:///"):
        return None
    return Path(uri[len("sqlite:///"):] or ".").expanduser()


def public_uri(uri: str) -> str:
    """The URI without ``user:password@`` and without secret-looking query values."""
    parts = urlsplit(uri)
    if "@" in parts.netloc:
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        uri = urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    return scrub_credentials(uri)


def scrub_credentials(text: str) -> str:
    """Any URL in ``text`` without its userinfo or secret-looking query values."""
    return _SECRET_QUERY.sub(r"\1***", _USERINFO.sub(r"\1", text))


def connect(tracking_uri: str) -> Any:
    """An ``MlflowClient`` for the tracking URI, whose registry is the same server.

    For a local sqlite URI the database's directory is created, so the embedded default works
    on a fresh checkout.
    """
    import logging

    from mlflow import MlflowClient

    database = local_sqlite_path(tracking_uri)
    if database is not None:
        database.parent.mkdir(parents=True, exist_ok=True)
        # its schema-migration INFO lines are noise in gatewise's own output
        logging.getLogger("mlflow.store.db.utils").setLevel(logging.WARNING)
        logging.getLogger("alembic").setLevel(logging.WARNING)

    return MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
