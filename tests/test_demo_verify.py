"""``gatewise demo``'s loop past the canary PR, in a fresh process: the simulated sync, ``verify``
from the stand-ins' own ``/metrics``, and the completion PR, or with ``--canary-regression`` the
rollback PR."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from gatewise.registry import connect

from .conftest import REPO

GATEWISE = [sys.executable, "-m", "gatewise"]


def run_demo(tmp_path, *extra: str) -> tuple[subprocess.CompletedProcess, dict, object]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    out = tmp_path / "demo"
    proc = subprocess.run([*GATEWISE, "demo", "--out", str(out), "--quiet", *extra], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path, env=env)
    result = json.loads((out / "verify" / "verify-result.json").read_text(encoding="utf-8"))
    return proc, result, connect(f"sqlite:///{(out / 'mlflow' / 'mlruns.db').resolve()}")


@pytest.mark.slow
def test_the_demo_verifies_the_canary_and_completes_it(tmp_path):
    proc, result, client = run_demo(tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert result["outcome"] == "complete" and result["quality"]["passed"] is True
    assert "COMPLETE" in proc.stdout and "complete PR opened" in proc.stdout
    aliases = {k: str(v) for k, v in client.get_registered_model("qa-assistant").aliases.items()}
    assert aliases == {"candidate": "1", "champion": "1"}


@pytest.mark.slow
def test_the_demo_with_a_canary_regression_rolls_it_back(tmp_path):
    proc, result, client = run_demo(tmp_path, "--canary-regression")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert result["outcome"] == "rollback"
    failed = {c["check"] for c in result["checks"] if not c["passed"]}
    assert failed == {"latency_p95", "error_rate"} and result["quality"]["passed"] is False
    assert "ROLL BACK" in proc.stdout and "rollback PR opened" in proc.stdout
    aliases = {k: str(v) for k, v in client.get_registered_model("qa-assistant").aliases.items()}
    assert aliases == {"candidate": "2", "champion": "1"}  # the champion keeps serving
    assert client.get_model_version("qa-assistant", "2").tags["gatewise.verify"] == "rollback"
