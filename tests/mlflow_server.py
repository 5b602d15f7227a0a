"""A real ``mlflow server`` on 127.0.0.1 (sqlite backend, artifacts in a temp dir), one per session.

The server forks workers (uvicorn, huey) that outlive a killed parent, so it is started in its
own process group and the whole group is stopped (``tests/_service.py``).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

from ._service import ServiceProcess, answers, free_port

START_TIMEOUT_S = 90.0

__all__ = ["MlflowServer", "free_port", "mlflow_server"]


class MlflowServer:
    """``with MlflowServer(directory) as server: server.url``; stops its process group on exit."""

    def __init__(self, directory: Path, port: int | None = None) -> None:
        self.directory = Path(directory)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.directory / "server.log"
        # a short grace: the sqlite store survives SIGKILL, and uvicorn + huey take their time on TERM
        self._service = ServiceProcess("mlflow server", self.log_path, term_wait_s=1.0, kill_wait_s=5.0)

    def start(self) -> "MlflowServer":
        self.directory.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable, "-m", "mlflow", "server",
            "--backend-store-uri", f"sqlite:///{self.directory / 'mlflow.db'}",
            "--artifacts-destination", str(self.directory / "artifacts"),
            "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1",
        ]
        env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "1"}
        self._service.start(command, ready=lambda: answers(f"{self.url}/health"), timeout_s=START_TIMEOUT_S,
                            env=env, cwd=self.directory)
        return self

    def log_tail(self, chars: int = 4000) -> str:
        return self._service.log_tail(chars)

    def stop(self) -> None:
        self._service.stop()

    def __enter__(self) -> "MlflowServer":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@pytest.fixture(scope="session")
def mlflow_server():
    """One tracking server for the session; tests keep apart by using their own names."""
    with tempfile.TemporaryDirectory(prefix="gatewise-mlflow-") as directory:
        with MlflowServer(Path(directory)) as server:
            yield server
