"""A gate whose judge suites are all single-turn G-Eval never imports deepeval (gatewise renders
deepeval's G-Eval prompts itself); one with any other judge metric does. Each gate runs in a fresh
interpreter, which reports the modules it loaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from .conftest import G_EVAL_SUITE, JUDGE_MODEL, example_rows, write_gate

PROBE = """
import json, sys
from gatewise.cli import main
rc = main(sys.argv[1:])
print(json.dumps({"rc": rc, "deepeval": any(m == "deepeval" or m.startswith("deepeval.") for m in sys.modules)}))
"""
ROWS = example_rows(6)
RELEVANCY_SUITE = """
  - name: relevance
    judge: { metric: answer-relevancy }
"""


def probe(*args: str) -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "CI": "true"})
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def judged_gate(tmp_path, model_url: str, judge_url: str, suites: str):
    judge = {"base_url": judge_url, "model": JUDGE_MODEL, "concurrency": 4, "timeout_s": 5, "max_retries": 1}
    extra = "judge:\n" + "".join(f"  {key}: {json.dumps(value)}\n" for key, value in judge.items())
    config = write_gate(tmp_path, model_url, rows=ROWS, suites=suites,
                        thresholds='\n  correctness: { mean: ">= 0.8" }\n', extra=extra)
    return probe("gate", "--config", str(config), "--out", str(tmp_path / "out"), "--no-html", "--quiet")


def scores(tmp_path) -> list[dict]:
    lines = (tmp_path / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["scores"]["correctness.g-eval"] for line in lines
            if "correctness.g-eval" in json.loads(line).get("scores", {})]


def test_a_g_eval_only_gate_never_imports_deepeval(tmp_path, judge, good_model):
    ran = judged_gate(tmp_path, good_model.base_url, judge.base_url, G_EVAL_SUITE)
    assert ran == {"rc": 0, "deepeval": False}
    judged = scores(tmp_path)
    assert len(judged) == len(ROWS) and all(s["value"] == 1.0 and s["judge_model"] == JUDGE_MODEL for s in judged)


def test_a_gate_with_another_judge_metric_imports_deepeval_and_scores_g_eval_the_same(tmp_path, judge, good_model):
    alone = tmp_path / "alone"
    alone.mkdir()
    judged_gate(alone, good_model.base_url, judge.base_url, G_EVAL_SUITE)
    ran = judged_gate(tmp_path, good_model.base_url, judge.base_url, G_EVAL_SUITE + RELEVANCY_SUITE)
    assert ran["deepeval"] is True and ran["rc"] in (0, 1)
    assert scores(tmp_path) == scores(alone)


def test_the_judge_stage_loads_deepeval_only_for_a_suite_it_does_not_judge_itself(tmp_path):
    from gatewise.config import JudgeConfig, SuiteConfig
    from gatewise.suites import JudgeClient, JudgeStage

    g_eval = SuiteConfig.model_validate({"name": "correctness", "judge": {"metric": "g-eval", "criteria": "Right?"}})
    relevancy = SuiteConfig.model_validate({"name": "relevance", "judge": {"metric": "answer-relevancy"}})

    def begun(suites, **switch) -> bool:
        stage = JudgeStage(suites, JudgeClient(JudgeConfig(base_url="http://127.0.0.1:9/v1", model=JUDGE_MODEL)),
                           scratch=tmp_path, **switch)
        stage.begin()
        return stage.deepeval_loaded

    assert begun([g_eval]) is False
    assert begun([g_eval], native_geval=False) is True  # deepeval's GEval, the parity test's reference
    assert begun([g_eval, relevancy]) is True
