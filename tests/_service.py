"""A real server the tests start on 127.0.0.1: its own process group, a log file, a readiness
probe, and a stop that ends the whole group.

The servers (MLflow, Prometheus, KServe's ModelServer, vLLM) fork workers that outlive a killed
parent, so each leads its own process group and the group is what is stopped.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable, Mapping, Sequence


def free_port() -> int:
    """A port nothing listens on now (also how tests name an endpoint that is down)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def answers(url: str, *, accept: Callable[[bytes], bool] | None = None, timeout_s: float = 2.0) -> bool:
    """True when ``url`` answers 200 (and ``accept`` takes its body); a readiness probe."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            return response.status == 200 and (accept is None or accept(response.read()))
    except (urllib.error.URLError, OSError, ValueError):
        return False


class ServiceProcess:
    """One server process: ``start`` runs it and waits until ``ready()`` holds, ``stop`` ends its group.

    ``ready`` is a probe that returns True once the server answers; connection errors it raises
    count as "not yet". A server that exits while starting, or is not ready in time, raises
    ``RuntimeError`` with the tail of its log (never a silent skip).
    """

    def __init__(self, name: str, log_path: Path, *, term_wait_s: float = 10.0, kill_wait_s: float = 10.0) -> None:
        self.name, self.log_path = name, Path(log_path)
        self.term_wait_s, self.kill_wait_s = term_wait_s, kill_wait_s
        self.process: subprocess.Popen | None = None

    def start(self, command: Sequence[str], *, ready: Callable[[], bool], timeout_s: float,
              env: Mapping[str, str] | None = None, cwd: Path | None = None, poll_s: float = 0.25) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(list(command), cwd=cwd, env=dict(env) if env is not None else None,
                                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True)
        try:
            self._wait_ready(ready, timeout_s, poll_s)
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, ready: Callable[[], bool], timeout_s: float, poll_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode} while starting:\n"
                                   f"{self.log_tail()}")
            try:
                if ready():
                    return
            except (OSError, ValueError):  # refused, reset, timed out, half-written body: not yet
                pass
            time.sleep(poll_s)
        raise RuntimeError(f"{self.name} was not ready within {timeout_s:g} s:\n{self.log_tail()}")

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        pgid = process.pid  # start_new_session: the server leads its own group
        for sig, wait_s in ((signal.SIGTERM, self.term_wait_s), (signal.SIGKILL, self.kill_wait_s)):
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + wait_s
            while time.monotonic() < deadline and group_alive(pgid):
                process.poll()  # reap the leader so the group can empty
                time.sleep(0.1)
            if not group_alive(pgid):
                break
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
