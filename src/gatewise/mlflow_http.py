"""Bounds on MLflow's HTTP client while gatewise talks to a tracking server (the registry for
promote / rollback / ``baseline.alias``, the history for ``tracking:``).

MLflow reads these variables at each request. Its defaults (7 retries with exponential backoff,
a 120 s timeout per request) would hold a verdict for minutes behind a dead server; a job that
sets these variables itself keeps its own.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator, Mapping

HTTP_LIMITS = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1", "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
               "MLFLOW_HTTP_REQUEST_TIMEOUT": "10",
               # set_terminated prints "View run … at: <tracking URI>" to stdout, which holds the
               # verdict (and may end up in CI logs with a URI's user:password@ in it)
               "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT": "true"}
MLFLOW_TOKEN = "MLFLOW_TRACKING_TOKEN"


@contextmanager
def http_limits(token_env: str = MLFLOW_TOKEN, env: Mapping[str, str] | None = None) -> Iterator[None]:
    """The limits above (where unset), and the bearer token from ``token_env`` when that is not
    MLflow's own variable; the environment is put back afterwards."""
    env = os.environ if env is None else env
    updates = {key: value for key, value in HTTP_LIMITS.items() if key not in os.environ}
    token = env.get(token_env)
    if token_env != MLFLOW_TOKEN and token:
        updates[MLFLOW_TOKEN] = token
    with environment(updates):
        yield


@contextmanager
def environment(updates: Mapping[str, str], restore: tuple[str, ...] = ()) -> Iterator[None]:
    """``os.environ`` with ``updates`` for the duration (MLflow reads its settings from there),
    then each key of ``updates`` and ``restore`` as it was, absent ones removed."""
    saved = {key: os.environ.get(key) for key in (*updates, *restore)}
    os.environ.update(updates)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
