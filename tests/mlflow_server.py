"""A real ``mlflow server`` on 127.0.0.1 (sqlite backend, artifacts in a temp dir), one per session.

The server forks workers (uvicorn, huey) that outlive a killed parent, so it is started in its
own process group and the whole group is stopped.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

START_TIMEOUT_S = 90.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MlflowServer:
    """``with MlflowServer(directory) as server: server.url``; stops its process group on exit."""

    def __init__(self, directory: Path, port: int | None = None) -> None:
        self.directory = Path(directory)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.directory / "server.log"
        self._process: subprocess.Popen | None = None

    def start(self) -> "MlflowServer":
        self.directory.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable, "-m", "mlflow", "server",
            "--backend-store-uri", f"sqlite:///{self.directory / 'mlflow.db'}",
            "--artifacts-destination", str(self.directory / "artifacts"),
            "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1",
        ]
        env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "1"}
        with open(self.log_path, "wb") as log:
            self._process = subprocess.Popen(command, cwd=self.directory, env=env, stdout=log,
                                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                             start_new_session=True)
        try:
            self._wait_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"mlflow server exited with {self._process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.25)
        raise RuntimeError(f"mlflow server not healthy after {START_TIMEOUT_S:.0f}s:\n{self.log_tail()}")

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        pgid = process.pid  # start_new_session: the server leads its own group
        # a short grace: the sqlite store survives SIGKILL, and uvicorn + huey take their time on TERM
        for sig, wait_s in ((signal.SIGTERM, 1.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + wait_s
            while time.monotonic() < deadline and _group_alive(pgid):
                process.poll()  # reap the leader so the group can empty
                time.sleep(0.1)
            if not _group_alive(pgid):
                break
        process.wait(timeout=5)

    def __enter__(self) -> "MlflowServer":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@pytest.fixture(scope="session")
def mlflow_server():
    """One tracking server for the session; tests keep apart by using their own names."""
    with tempfile.TemporaryDirectory(prefix="gatewise-mlflow-") as directory:
        with MlflowServer(Path(directory)) as server:
            yield server
