"""The judge on real vLLM: deepeval's schema goes out as ``response_format``, vLLM's guided
decoding (xgrammar) enforces it, so even the tiny random model gives a parseable judge answer on
every row. The model under test is the same server.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gatewise.cli import main

from .conftest import G_EVAL_SUITE, example_rows, write_gate
from .vllm_server import SERVED_NAME

pytestmark = [pytest.mark.vllm, pytest.mark.timeout(900)]

ROWS = example_rows(8)
G_EVAL = G_EVAL_SUITE
ENDPOINT = {"model": SERVED_NAME, "max_tokens": 16, "timeout_s": 120}


def judged_gate(directory: Path, url: str, *, suites: str = G_EVAL, **judge) -> Path:
    settings = {"base_url": url, "model": SERVED_NAME, "concurrency": 8, "timeout_s": 180, "max_retries": 1,
                "backoff_s": 0.05, **judge}
    section = "judge:\n" + "".join(f"  {key}: {json.dumps(value)}\n" for key, value in settings.items())
    return write_gate(directory, url, rows=ROWS, endpoint=ENDPOINT, suites=suites,
                      thresholds='\n  correctness: { mean: ">= 0.0" }\n', extra=section)


def run(capsys, config: Path, out: Path) -> tuple[int, str]:
    code = main(["gate", "--config", str(config), "--out", str(out), "--no-cache"])
    return code, capsys.readouterr().err


def test_a_g_eval_suite_judges_every_row_with_structured_output(tmp_path, capsys, vllm_server):
    code, stderr = run(capsys, judged_gate(tmp_path, vllm_server.base_url), tmp_path / "out")
    assert code == 0, stderr  # mean >= 0: passes exactly when every row got a usable score
    rows = [json.loads(line) for line in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    assert len(rows) == len(ROWS)
    for row in rows:
        score = row["scores"]["correctness.g-eval"]
        assert score["error"] is None, score
        assert 0.0 <= score["value"] <= 1.0 and score["judge_model"] == SERVED_NAME, score
    result = json.loads((tmp_path / "out" / "gate-result.json").read_text())
    assert result["judge"]["model"] == SERVED_NAME and result["judge"]["calls"] >= 1


def test_without_structured_output_the_random_judge_gives_no_parseable_answer(tmp_path, capsys, vllm_server):
    # the setting really controls the request: the same judge, asked for free text, fails closed
    config = judged_gate(tmp_path, vllm_server.base_url, structured_output=False, max_tokens=48)
    code, stderr = run(capsys, config, tmp_path / "out")
    assert code == 3, stderr
    assert "gave no usable answer for any of" in stderr and "Traceback" not in stderr


def test_a_judge_max_tokens_the_server_refuses_names_the_setting_to_change(tmp_path, capsys, vllm_server):
    too_many = vllm_server.max_model_len + 1
    code, stderr = run(capsys, judged_gate(tmp_path, vllm_server.base_url, max_tokens=too_many), tmp_path / "out")
    assert code == 3, stderr
    assert f"max_tokens={too_many} cannot be greater than max_model_len={vllm_server.max_model_len}" in stderr
    assert "lower judge.max_tokens" in stderr
