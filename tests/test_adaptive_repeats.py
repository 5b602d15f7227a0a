"""``repeats: auto``: one pass, then the disputed rows asked again of the model and of the baseline
endpoint until the sequential rule decides, or the cap. Real noisy stand-ins on loopback (their
``noise`` knob, see test_standin_noise.py), real Evidently scoring, the CLI's exit codes.

The stand-ins are asked one call at a time (concurrency 1), so each server's draws come in the
same order on every run and a scenario is the same on every run of the test.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gatewise.config import load_config
from gatewise.publish import feedback_from_run, load_gate_run
from gatewise.runner import run_gate
from gatewise.standin import StandinServer

from .conftest import (CODE_WORD_ROWS, EXACT_MATCH_SUITE, G_EVAL_SUITE, JUDGE_MODEL, gate_cli_run, gate_results,
                       write_gate)

ROWS = CODE_WORD_ROWS
TABLE = {row["question"]: row["answer"] for row in ROWS}
SUITES = EXACT_MATCH_SUITE
ONE_AT_A_TIME = {"concurrency": 1}


@pytest.fixture
def noisy_champion():
    # noise 2: every call a coin weighted by the quality, so two runs disagree on many rows
    with StandinServer(TABLE, quality=0.85, seed=8, noise=2.0) as server:
        yield server


@pytest.fixture
def noisy_worse():
    # with the champion above (seeds found once, the same on every run): one pass leaves the
    # comparison within noise, and the fourth ask blocks
    with StandinServer(TABLE, quality=0.7, seed=9, noise=2.0) as server:
        yield server


@pytest.fixture
def noisy_pair_for_the_cap():
    # two asks are not enough to tell these apart (seeds found once, as above)
    with StandinServer(TABLE, quality=0.85, seed=2, noise=2.0) as champion, \
            StandinServer(TABLE, quality=0.75, seed=3, noise=2.0) as worse:
        yield worse, champion


@pytest.fixture
def steady():
    with StandinServer(TABLE, quality=0.85, seed=5) as server:
        yield server


def auto_gate(directory: Path, candidate: str, baseline: str, repeats: str = "auto") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    extra = (f"repeats: {repeats}\nbaseline:\n  endpoint:\n    base_url: {baseline}\n    model: standin-model\n"
             f"    concurrency: 1\n    timeout_s: 5\n")
    return write_gate(directory, candidate, rows=ROWS, endpoint=ONE_AT_A_TIME, suites=SUITES, thresholds="",
                      extra=extra)


def requests(*servers: StandinServer) -> int:
    return sum(s.stats.requests for s in servers)


def test_an_inconclusive_first_pass_asks_the_disputed_rows_again_and_blocks(tmp_path, noisy_worse, noisy_champion):
    config = auto_gate(tmp_path, noisy_worse.base_url, noisy_champion.base_url)
    before = requests(noisy_worse, noisy_champion)
    result = run_gate(load_config(config), out_dir=tmp_path / "out")
    document = json.loads((tmp_path / "out" / "gate-result.json").read_text())
    auto = document["repeats"]["auto"]

    (look,) = auto["looks"]
    assert auto["rounds"] == 4 and auto["reasked_rows"] > 0, auto
    assert look["decision"] == "block" and look["looks"] == 4
    assert not result.passed and result.exit_code == 1
    (entry,) = [t for t in document["thresholds"] if t["statistic"] == "mean vs baseline"]
    assert entry["passed"] is False and entry["value"] == pytest.approx(look["estimate"])
    # every call is a line of results.jsonl, each re-ask under its own repeat index
    lines = gate_results(tmp_path / "out")
    extra = [x for x in lines if x["repeat"] > 0]
    assert len(lines) == len(ROWS) + auto["extra_calls"] // 2
    assert {x["row_id"] for x in lines if x["repeat"] == 0} == {row["id"] for row in ROWS}
    assert len({x["row_id"] for x in extra}) == auto["reasked_rows"]
    assert max(x["repeat"] for x in lines) == auto["rounds"] - 1
    # both servers were asked every extra call: the baseline is re-asked on the same rows
    assert requests(noisy_worse, noisy_champion) - before >= 2 * len(ROWS) + auto["extra_calls"]
    summary = (tmp_path / "out" / "summary.md").read_text()
    assert f"{auto['reasked_rows']} rows" in summary and "asked again" in summary
    # the PR comment is rendered from gate-result.json read back: it says the same
    comment = feedback_from_run(load_gate_run(tmp_path / "out"), str(config)).markdown(60_000)
    assert "### Repeats: auto" in comment and f"{auto['reasked_rows']} rows asked again" in comment
    assert "| `correctness` | block | 4 |" in comment


def test_thresholds_are_decided_on_the_first_pass_and_tracking_records_the_re_asks(tmp_path, noisy_worse,
                                                                                    noisy_champion):
    from gatewise.tracking._content import run_metrics, run_params

    config = auto_gate(tmp_path, noisy_worse.base_url, noisy_champion.base_url)
    result = run_gate(load_config(config), out_dir=tmp_path / "out")
    first = [x for x in gate_results(tmp_path / "out") if x["repeat"] == 0]
    right = sum(x["scores"]["correctness.ExactMatch"]["passed"] for x in first)
    assert result.adaptive is not None and result.adaptive.rounds >= 2
    assert result.metrics["correctness"]["pass_rate"] == pytest.approx(right / len(ROWS))
    assert result.verdict.row_count == len(ROWS)
    metrics = run_metrics(result)
    assert metrics["repeats.auto.rounds"] == result.adaptive.rounds
    assert metrics["repeats.auto.reasked_rows"] == result.adaptive.reasked_rows
    assert run_params(result)["repeats"] == "auto (max 8)"


def test_at_the_cap_an_undecided_comparison_passes_as_documented(tmp_path, capsys, noisy_pair_for_the_cap):
    worse, champion = noisy_pair_for_the_cap
    config = auto_gate(tmp_path, worse.base_url, champion.base_url, "{auto: true, max: 2}")
    code, out, err = gate_cli_run(capsys, config, tmp_path / "out")
    document = json.loads((tmp_path / "out" / "gate-result.json").read_text())
    auto = document["repeats"]["auto"]
    (look,) = auto["looks"]
    assert auto["max"] == 2 and auto["rounds"] == 2
    assert look["decision"] == "pass" and "the cap (2 asks) was reached" in look["reason"]
    assert code == 0, err
    assert max(x["repeat"] for x in gate_results(tmp_path / "out")) == 1


def test_a_deterministic_model_is_never_asked_again(tmp_path, steady):
    config = auto_gate(tmp_path, steady.base_url, steady.base_url)
    before = requests(steady)
    result = run_gate(load_config(config), out_dir=tmp_path / "out")
    assert result.passed
    assert result.adaptive is not None and result.adaptive.rounds == 1 and result.adaptive.reasked_rows == 0
    assert "no row was asked again" in result.adaptive.reason
    assert requests(steady) - before == 2 * len(ROWS) + 2  # every row once per side, and two preflights
    assert {x["repeat"] for x in gate_results(tmp_path / "out")} == {0}


def test_a_repeat_is_never_answered_from_the_first_pass_cache(tmp_path, capsys, noisy_worse, noisy_champion):
    config = auto_gate(tmp_path, noisy_worse.base_url, noisy_champion.base_url)
    flags = ("--cache", "--cache-dir", str(tmp_path / "cache"))  # one cache for both runs
    before = requests(noisy_worse, noisy_champion)
    first_code, _, err = gate_cli_run(capsys, config, tmp_path / "first", *flags)
    asked = requests(noisy_worse, noisy_champion) - before
    first = json.loads((tmp_path / "first" / "gate-result.json").read_text())["repeats"]["auto"]
    assert first["rounds"] >= 2, err
    # a fresh cache: every re-ask was a call to the servers, none replayed the first pass's answer
    lines = gate_results(tmp_path / "first")
    assert not any(x["cached"] for x in lines)
    assert asked >= 2 * len(ROWS) + first["extra_calls"]

    # a second run with the same cache replays every ask, repeats included, and decides the same
    before = requests(noisy_worse, noisy_champion)
    again_code, _, _ = gate_cli_run(capsys, config, tmp_path / "again", *flags)
    again = json.loads((tmp_path / "again" / "gate-result.json").read_text())["repeats"]["auto"]
    assert again_code == first_code and again == first
    assert all(x["cached"] for x in gate_results(tmp_path / "again"))
    assert requests(noisy_worse, noisy_champion) - before == 2  # the two preflights, nothing else


def test_a_stored_baseline_is_not_asked_again_and_the_reports_say_so(tmp_path, noisy_worse, steady):
    stored = tmp_path / "champion"
    stored.mkdir()
    run_gate(load_config(write_gate(stored, steady.base_url, rows=ROWS, suites=SUITES, thresholds="")),
             out_dir=stored / "out")
    (tmp_path / "pr").mkdir()
    config = write_gate(tmp_path / "pr", noisy_worse.base_url, rows=ROWS, endpoint=ONE_AT_A_TIME, suites=SUITES,
                        thresholds="", extra=f"repeats: auto\nbaseline: {{ results: {stored / 'out'} }}\n")
    result = run_gate(load_config(config), out_dir=tmp_path / "pr" / "out")
    assert result.adaptive is not None and result.adaptive.rounds == 1 and result.adaptive.reasked_rows == 0
    assert "cannot be asked again" in result.adaptive.reason
    assert "cannot be asked again" in (tmp_path / "pr" / "out" / "summary.md").read_text()
    # the fixed rule decided: the comparison's verdict entry carries its interval
    (entry,) = [r for r in result.verdict.results if r.threshold.statistic == "mean vs baseline"]
    assert entry.ci is not None


G_EVAL = G_EVAL_SUITE


def test_a_re_asked_row_is_judged_again(tmp_path, judge, noisy_worse, noisy_champion):
    judge_lines = (f"judge:\n  base_url: {judge.base_url}\n  model: {JUDGE_MODEL}\n  concurrency: 8\n"
                   f"  timeout_s: 5\n")
    extra = (f"repeats: auto\n{judge_lines}baseline:\n  endpoint:\n    base_url: {noisy_champion.base_url}\n"
             f"    model: standin-model\n    concurrency: 1\n    timeout_s: 5\n")
    config = write_gate(tmp_path, noisy_worse.base_url, rows=ROWS, endpoint=ONE_AT_A_TIME, suites=G_EVAL,
                        thresholds="", extra=extra)
    judged_before = judge.stats.requests
    result = run_gate(load_config(config), out_dir=tmp_path / "out", cache_dir=tmp_path / "cache")
    auto = result.adaptive
    assert auto is not None and auto.rounds >= 2, auto
    lines = gate_results(tmp_path / "out")
    again = [x for x in lines if x["repeat"] > 0]
    assert again and all(x["scores"]["correctness.g-eval"]["judge_model"] == JUDGE_MODEL for x in again)
    # every re-ask of either side went to the judge, save outputs it had judged before (its cache)
    assert result.judge is not None
    assert result.judge.calls + result.judge.cached >= 2 * len(ROWS) + auto.extra_calls
    assert judge.stats.requests - judged_before >= result.judge.calls


def test_validate_states_the_cap_and_the_terminal_says_what_was_asked_again(tmp_path, capsys, noisy_worse,
                                                                            noisy_champion):
    from gatewise.cli import main

    config = auto_gate(tmp_path, noisy_worse.base_url, noisy_champion.base_url, "{auto: true, max: 5}")
    assert main(["validate", "--config", str(config)]) == 0
    assert "repeats auto (at most 5 asks)" in capsys.readouterr().out
    code, out, err = gate_cli_run(capsys, config, tmp_path / "out")
    assert code == 1, err
    assert "repeats: auto: " in out and "rows asked again" in out
