"""Cheap checks first: a judge suite with ``only_if`` is asked only about rows that passed the named
deterministic checks; the rows it skips fail the suite (fail closed, not errors), the judge is
not called for them, and the reports say how many judgements (and about how many calls) were saved."""

from __future__ import annotations

import json

import pytest

from .conftest import JUDGE_MODEL, example_rows, gate_cli_run as run, gate_results as results, write_gate

ROWS = example_rows(12)


def _suites(only_if: str) -> str:
    return f"""
  - name: exact
    evidently:
      - {{ descriptor: ExactMatch, expected: answer }}
  - name: correctness
    judge:
      metric: g-eval
      criteria: "Does the actual output state the same answer as the expected output?"
      columns: {{ expected_output: answer }}{only_if}
"""


def _gate(tmp_path, model, judge, only_if: str = "\n      only_if: [exact]", endpoint: dict | None = None,
          judge_concurrency: int = 8):
    extra = ("judge:\n" + "".join(f"  {k}: {json.dumps(v)}\n" for k, v in {
        "base_url": judge.base_url, "model": JUDGE_MODEL, "concurrency": judge_concurrency, "timeout_s": 5,
        "max_retries": 2,
        "backoff_s": 0.01, "max_backoff_s": 0.05}.items()))
    tmp_path.mkdir(parents=True, exist_ok=True)
    return write_gate(tmp_path, model.base_url, rows=ROWS, suites=_suites(only_if), endpoint=endpoint,
                      thresholds='\n  correctness: { mean: ">= 0.9" }\n', extra=extra)


def test_rows_failing_the_cheap_check_are_not_judged_and_fail_the_suite(tmp_path, capsys, poor_model, judge):
    before = judge.stats.completions
    code, stdout, stderr = run(capsys, _gate(tmp_path / "gated", poor_model, judge), tmp_path / "gated" / "out")
    asked_gated = judge.stats.completions - before
    assert code == 1, stdout + stderr
    rows = results(tmp_path / "gated" / "out")
    exact = {r["row_id"]: r["scores"]["exact.ExactMatch"]["passed"] for r in rows}
    assert 0 < sum(exact.values()) < len(rows), "the poor model should pass some rows and fail others"
    for row in rows:
        judged = row["scores"]["correctness.g-eval"]
        if exact[row["row_id"]]:
            assert judged["judge_model"] == JUDGE_MODEL and judged["value"] == 1.0
        else:  # not judged: a failure with the reason, never an error and never a pass
            assert judged == {"value": 0.0, "passed": False, "error": None, "judge_model": None,
                              "reason": "not judged: the row failed exact (only_if), so it fails this suite"}
    result = json.loads((tmp_path / "gated" / "out" / "gate-result.json").read_text())
    skipped = sum(1 for ok in exact.values() if not ok)
    assert result["judge"]["skipped"] == skipped
    assert result["counts"]["errors"] == 0
    assert result["metrics"]["correctness"]["mean"] == pytest.approx(sum(exact.values()) / len(rows))
    assert f"{skipped} row judgements skipped by only_if" in (tmp_path / "gated" / "out" / "summary.md").read_text()

    # the same gate without only_if asks the judge about every row, and scores the passing ones the same
    before = judge.stats.completions
    code, _, _ = run(capsys, _gate(tmp_path / "all", poor_model, judge, only_if=""), tmp_path / "all" / "out",
                     "--no-cache")
    asked_all = judge.stats.completions - before
    assert asked_gated < asked_all
    everything = {r["row_id"]: r["scores"]["correctness.g-eval"] for r in results(tmp_path / "all" / "out")}
    for row in rows:
        if exact[row["row_id"]]:
            assert everything[row["row_id"]]["value"] == row["scores"]["correctness.g-eval"]["value"]
    saved = result["judge"]["calls_saved"]
    assert saved == round(skipped * result["judge"]["calls"] / (len(rows) - skipped))


def test_gated_judging_keeps_the_judges_concurrency_and_scores_rows_as_ungated_judging(tmp_path, capsys, good_model):
    """only_if suites are judged by the judge's pooled workers: never more requests in flight than
    judge.concurrency (and that many while rows wait), every row scored as without only_if."""
    from gatewise.standin import Faults, StandinServer

    with StandinServer(model_id=JUDGE_MODEL, faults=Faults(latency_ms=40)) as slow_judge:
        gated = tmp_path / "gated"
        code, stdout, stderr = run(capsys, _gate(gated, good_model, slow_judge, judge_concurrency=3), gated / "out")
        assert code == 0, stdout + stderr
        assert slow_judge.stats.peak_in_flight == 3  # the pool keeps the judge busy, and no busier
        plain = tmp_path / "plain"
        assert run(capsys, _gate(plain, good_model, slow_judge, only_if="", judge_concurrency=3), plain / "out",
                   "--no-cache")[0] == 0
        assert slow_judge.stats.peak_in_flight == 3
    by_gated = {r["row_id"]: r["scores"]["correctness.g-eval"] for r in results(gated / "out")}
    by_plain = {r["row_id"]: r["scores"]["correctness.g-eval"] for r in results(plain / "out")}
    assert len(by_gated) == len(ROWS) and by_gated == by_plain
    assert all(score["judge_model"] == JUDGE_MODEL and score["error"] is None for score in by_gated.values())
    result = json.loads((gated / "out" / "gate-result.json").read_text())
    assert result["judge"].get("skipped", 0) == 0 and result["judge"]["calls"] == len(ROWS) + 1  # + G-Eval's steps


def test_a_row_whose_call_failed_is_an_error_for_the_gated_suite_not_a_skip(tmp_path, capsys, judge):
    from gatewise.standin import Faults, StandinServer, load_answer_table

    from .conftest import EXAMPLE_DATASET

    with StandinServer(answers=load_answer_table(EXAMPLE_DATASET), quality=1.0,
                       faults=Faults(error_rate=0.3, seed=5)) as flaky:
        config = _gate(tmp_path, flaky, judge, endpoint={"max_retries": 0})
        code, stdout, stderr = run(capsys, config, tmp_path / "out")
    rows = results(tmp_path / "out")
    failed = [r for r in rows if r["error"]]
    assert failed and code == 1, stdout + stderr
    for row in failed:
        assert row["scores"]["correctness.g-eval"]["error"].startswith("no output")


def test_only_if_must_name_an_evidently_suite_or_check(tmp_path, capsys, standin, judge):
    config = _gate(tmp_path, standin, judge, only_if="\n      only_if: [exact, format]")
    code, _, stderr = run(capsys, config, tmp_path / "out")
    assert code == 2
    line = config.read_text().splitlines().index("      only_if: [exact, format]") + 1
    assert f"{config}:{line} [suites[1].judge.only_if[1]]: only_if names 'format', which is no evidently suite " \
           "or check here; known: exact, exact.ExactMatch" in stderr
    assert not (tmp_path / "out").exists()


def test_only_if_names_a_suite_or_one_check_and_a_missing_score_is_no_pass():
    from gatewise.config import SuiteConfig
    from gatewise.pipeline._gated import failed_gates
    from gatewise.scores import Score

    suite = SuiteConfig(name="judged", judge={"metric": "answer-relevancy", "only_if": ["format", "exact.ExactMatch"]})
    row = {"format.length": [Score("r", "format.length", 10.0, True)],
           "format.json": [Score("r", "format.json", 0.0, False)],
           "exact.ExactMatch": [Score("r", "exact.ExactMatch", 1.0, True)]}
    assert failed_gates(suite, row) == ["format"]  # a suite passes only when all its checks did
    assert failed_gates(suite, {**row, "format.json": [Score("r", "format.json", 1.0, True)]}) == []
    assert failed_gates(suite, {"format.length": row["format.length"]}) == ["exact.ExactMatch"]
    # "format" is not a prefix of "formatting": only the suite's own checks count
    assert failed_gates(suite, {"formatting.x": [Score("r", "formatting.x", 1.0, True)],
                                "exact.ExactMatch": row["exact.ExactMatch"]}) == ["format"]


def test_a_sharded_gate_judges_only_if_suites_in_its_shards_and_merges_as_one_run(tmp_path, capsys, poor_model,
                                                                                    judge):
    """Each shard scores its rows' checks, so it judges its own only_if rows; merge decides as one run."""
    from gatewise.cli import main

    config = _gate(tmp_path / "g", poor_model, judge)
    cache = ("--cache", "--cache-dir", str(tmp_path / "cache"))
    assert run(capsys, config, tmp_path / "warm", *cache)[0] == 1
    assert run(capsys, config, tmp_path / "whole", *cache)[0] == 1
    dirs = [tmp_path / f"shard-{k}" for k in (1, 2, 3)]
    for k, out in enumerate(dirs, start=1):
        assert main(["gate", "--config", str(config), "--shard", f"{k}/3", "--out", str(out), *cache]) == 0
    assert main(["merge", *map(str, dirs), "--out", str(tmp_path / "merged")]) == 1
    capsys.readouterr()
    whole = json.loads((tmp_path / "whole" / "gate-result.json").read_text())
    merged = json.loads((tmp_path / "merged" / "gate-result.json").read_text())
    assert merged["judge"]["skipped"] == whole["judge"]["skipped"] > 0
    assert merged["metrics"] == whole["metrics"] and merged["thresholds"] == whole["thresholds"]
    assert results(tmp_path / "merged") == results(tmp_path / "whole")
