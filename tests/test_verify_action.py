"""``mode: verify`` of the composite action, its run: steps executed as the runner executes them:
the decision reaches the step outputs, the job summary and the exit code."""

from __future__ import annotations

import threading

import pytest

from gatewise.standin import StandinServer

from .conftest import example_rows, write_gate
from .test_github_surface import gate_action, github_api  # noqa: F401  (module fixture)
from .verify_support import send_traffic


@pytest.fixture
def pair(answers):
    with StandinServer(answers=answers) as champion, StandinServer(answers=answers) as canary:
        yield canary, champion


def workspace_with_verify(tmp_path, canary, champion, min_requests: int) -> None:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    write_gate(workspace, "http://127.0.0.1:9/v1", rows=example_rows(4), extra=f"""verify:
  metrics:
    scrape: {{ canary: "{canary.root_url}/metrics", champion: "{champion.root_url}/metrics", window_s: 2 }}
  min_requests: {min_requests}
  on_complete: report
  on_rollback: report
""")


def test_verify_mode_completes_a_healthy_canary(tmp_path, github_api, pair):  # noqa: F811
    canary, champion = pair
    workspace_with_verify(tmp_path, canary, champion, min_requests=10)
    stop = threading.Event()

    def traffic() -> None:  # both serve all along, as after a sync
        while not stop.is_set():
            send_traffic(canary.base_url, 8)
            send_traffic(champion.base_url, 8)

    worker = threading.Thread(target=traffic)
    worker.start()
    try:
        run = gate_action(tmp_path, github_api, None, inputs={"mode": "verify"})
    finally:
        stop.set()
        worker.join(30)
    assert not run.failed, run.log
    assert [s.id for s in run.steps if s.ran] == ["inputs", "verify"]
    assert run.outputs["verify-outcome"] == "complete" and run.outputs["exit-code"] == "0"
    assert run.outputs["passed"] == "true"
    assert "gatewise verify" in run.summary and "COMPLETE" in run.summary
    assert (tmp_path / "workspace" / "gate-out" / "verify-result.json").is_file()


def test_verify_mode_without_traffic_waits_with_exit_4_and_a_notice(tmp_path, github_api, pair):  # noqa: F811
    canary, champion = pair
    workspace_with_verify(tmp_path, canary, champion, min_requests=10)
    run = gate_action(tmp_path, github_api, None, inputs={"mode": "verify"})
    assert run.failed and run.step("verify").returncode == 4
    assert run.outputs["verify-outcome"] == "wait" and run.outputs["exit-code"] == "4"
    assert any("too little traffic" in m for m in run.annotations("notice"))
