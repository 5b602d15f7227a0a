"""``repeats: auto`` for thresholds: a point threshold within the asking noise of its target after
one pass asks every row again, in full rounds, until its rule decides or the cap; no baseline
needed. Real noisy stand-ins on loopback (``noise`` knob, see test_standin_noise.py), real
Evidently scoring; the stand-ins are asked one call at a time so each scenario repeats exactly.
The rule's error rate under repeated looks is checked by simulation at the end."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from gatewise.config import load_config
from gatewise.errors import InfraError
from gatewise.gate._threshold_rule import look_at, pilot_look, pilot_rows
from gatewise.publish import feedback_from_run, load_gate_run
from gatewise.runner import run_gate
from gatewise.standin import Faults, StandinServer
from gatewise.standin._model import StandinModel
from gatewise.terminal import Console

from .conftest import CODE_WORD_ROWS, EXACT_MATCH_SUITE, G_EVAL_SUITE, gate_results, write_gate
from .v2_server import iris_rows, models, server, write_v2_gate  # noqa: F401 (fixtures)

ROWS = CODE_WORD_ROWS
TABLE = {row["question"]: row["answer"] for row in ROWS}
SUITES = EXACT_MATCH_SUITE
ONE_AT_A_TIME = {"concurrency": 1, "max_retries": 0}


def threshold_gate(directory: Path, base_url: str, expression: str, repeats: str = "auto", extra: str = "") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    return write_gate(directory, base_url, rows=ROWS, endpoint=ONE_AT_A_TIME, suites=SUITES,
                      thresholds=f'\n  correctness: {{ pass_rate: "{expression}" }}\n',
                      extra=f"repeats: {repeats}\n{extra}")


def only_threshold(result):
    (look,) = result.adaptive.thresholds
    return look


@pytest.fixture
def noisy():
    # seed found once: one pass leaves ">= 0.7" within the bound, the pilot's pairs disagree too often
    # to decide it, and the second full round does
    with StandinServer(TABLE, quality=0.8, seed=6, noise=0.5) as standin:
        yield standin


def test_an_inconclusive_threshold_asks_every_row_again_and_decides(tmp_path, noisy):
    config = threshold_gate(tmp_path, noisy.base_url, ">= 0.7")
    before = noisy.stats.completions
    result = run_gate(load_config(config), out_dir=tmp_path / "out")
    look = only_threshold(result)

    assert look.key == "correctness.pass_rate" and look.decision == "pass" and look.looks == 2
    assert look.reasked_rows == len(ROWS) and abs(look.estimate - 0.7) > look.half_width
    assert look.pilot_rows == 30  # round 2 began with the pilot; its rows disagreed too often to decide
    assert result.passed and result.exit_code == 0
    # every row asked twice: one call each, no more
    assert noisy.stats.completions - before == 2 * len(ROWS)
    lines = gate_results(tmp_path / "out")
    assert sorted((x["row_id"], x["repeat"]) for x in lines) == sorted(
        (row["id"], r) for row in ROWS for r in range(2))
    # the verdict checks the mean over both rounds, as repeats: 2 would report it
    right = sum(x["scores"]["correctness.ExactMatch"]["passed"] for x in lines)
    (entry,) = [t for t in result.verdict.results if t.threshold.key == "correctness.pass_rate"]
    assert entry.value == pytest.approx(right / (2 * len(ROWS))) == pytest.approx(look.estimate)
    document = json.loads((tmp_path / "out" / "gate-result.json").read_text())
    (written,) = document["repeats"]["auto"]["thresholds"]
    assert written["decision"] == "pass" and written["looks"] == 2 and written["reasked_rows"] == len(ROWS)
    summary = (tmp_path / "out" / "summary.md").read_text()
    assert "| `correctness.pass_rate` | pass | 2 | 80 |" in summary
    assert "every row was asked again, in full rounds" in summary
    # the PR comment is rendered from gate-result.json read back: it says the same
    comment = feedback_from_run(load_gate_run(tmp_path / "out"), str(config)).markdown(60_000)
    assert "| `correctness.pass_rate` | pass | 2 | 80 |" in comment


def test_a_threshold_clearly_met_asks_nothing_again(tmp_path, noisy):
    config = threshold_gate(tmp_path, noisy.base_url, ">= 0.4")
    before = noisy.stats.completions
    result = run_gate(load_config(config), out_dir=tmp_path / "out")
    look = only_threshold(result)
    assert (look.decision, look.looks, look.reasked_rows) == ("pass", 1, 0)
    assert result.adaptive.rounds == 1 and result.adaptive.extra_calls == 0
    assert noisy.stats.completions - before == len(ROWS)
    assert {x["repeat"] for x in gate_results(tmp_path / "out")} == {0}


def test_a_threshold_clearly_missed_fails_on_the_first_pass(tmp_path, noisy):
    result = run_gate(load_config(threshold_gate(tmp_path, noisy.base_url, ">= 0.99")), out_dir=tmp_path / "out")
    look = only_threshold(result)
    assert (look.decision, look.looks) == ("fail", 1)
    assert not result.passed and result.exit_code == 1


def test_a_deterministic_model_is_not_asked_again_when_the_first_pass_is_clear(tmp_path):
    with StandinServer(TABLE, quality=0.85, seed=1) as steady:
        result = run_gate(load_config(threshold_gate(tmp_path, steady.base_url, ">= 0.5")), out_dir=tmp_path / "out")
        assert steady.stats.completions == len(ROWS)  # the preflight is no completion
    assert result.adaptive.rounds == 1 and only_threshold(result).looks == 1


def test_a_deterministic_model_near_the_line_is_decided_once_its_asks_agree(tmp_path):
    # one pass cannot tell a steady model from a noisy one; the second round shows every row agrees
    # (its pass rate, 0.725 here, is more than the few rows' worth of noise that could still hide away)
    with StandinServer(TABLE, quality=0.85, seed=1) as steady:
        result = run_gate(load_config(threshold_gate(tmp_path, steady.base_url, ">= 0.8")), out_dir=tmp_path / "out")
    look = only_threshold(result)
    assert look.looks == 2 and look.decision == "fail" and "every row's asks agreed" in look.reason
    assert 0 < look.half_width < 0.8 - look.estimate
    assert result.adaptive.rounds == 2


ROWS_300 = [{"id": f"q{i}", "question": f"What is the code word number {i}?", "answer": f"word-{i}"}
            for i in range(300)]
TABLE_300 = {row["question"]: row["answer"] for row in ROWS_300}


def test_a_deterministic_model_a_few_points_over_the_line_is_decided_by_the_pilot(tmp_path):
    # 5 points over the line at 300 rows: inside one pass's worst-case bound, so round 2 begins; its
    # pilot (75 random rows) all agree with their first ask, which rules out the noise that could hide
    theta = sum(map(StandinModel(TABLE_300, quality=0.85, seed=1).p_right, TABLE_300)) / len(TABLE_300)
    target = round(theta - 0.05, 4)
    with StandinServer(TABLE_300, quality=0.85, seed=1) as steady:
        config = write_gate(tmp_path, steady.base_url, rows=ROWS_300, endpoint={"concurrency": 4}, suites=SUITES,
                            thresholds=f'\n  correctness: {{ pass_rate: ">= {target}" }}\n', extra="repeats: auto\n")
        result = run_gate(load_config(config), out_dir=tmp_path / "out")
        assert steady.stats.completions == 300 + 75  # not 2 x 300: the rest of round 2 was never asked
    look = only_threshold(result)
    assert (look.decision, look.looks, look.pilot_rows, look.reasked_rows) == ("pass", 1, 75, 75)
    assert look.reason.startswith("pilot: 75 rows asked again, 75 of 75 agreed")
    assert look.estimate == pytest.approx(theta) and 0 < look.half_width < 0.05
    assert result.passed and result.adaptive.extra_calls == 75 and result.adaptive.reasked_rows == 75
    lines = gate_results(tmp_path / "out")
    assert len([x for x in lines if x["repeat"] == 1]) == 75 and len(lines) == 375
    # the verdict checks the first pass's pass rate, the estimate the pilot look decided on
    (entry,) = [t for t in result.verdict.results if t.threshold.key == "correctness.pass_rate"]
    assert entry.value == pytest.approx(theta)
    summary = (tmp_path / "out" / "summary.md").read_text()
    assert "| `correctness.pass_rate` | pass | 1 + pilot: 75 rows | 75 |" in summary
    assert "pilot: 75 rows" in result.adaptive.reason


def test_at_the_cap_the_mean_over_every_ask_decides(tmp_path):
    with StandinServer(TABLE, quality=0.8, seed=1, noise=0.5) as standin:
        result = run_gate(load_config(threshold_gate(tmp_path, standin.base_url, ">= 0.8",
                                                     repeats="{auto: true, max: 3}")), out_dir=tmp_path / "out")
        assert standin.stats.completions == 3 * len(ROWS)
    look = only_threshold(result)
    assert look.looks == 3 and "the cap (3 asks) was reached" in look.reason
    assert result.passed == (look.estimate >= 0.8) == (look.decision == "pass")
    assert result.adaptive.rounds == 3 and result.adaptive.extra_calls == 2 * len(ROWS)


def test_thresholds_more_asks_cannot_help_are_decided_on_the_first_pass_and_say_why(tmp_path, noisy):
    suites = SUITES + "  - name: format\n    evidently:\n      - { descriptor: TextLength, name: length, max: 200 }\n"
    config = write_gate(tmp_path, noisy.base_url, rows=ROWS, endpoint=ONE_AT_A_TIME, suites=suites, thresholds="""
  correctness: { pass_rate: ">= 0.7", fail_count: "<= 40", mean: { expect: ">= 0.7", mode: confident } }
  format.length: { mean: "<= 150" }
  latency_ms: { mean: "<= 5000" }
""", extra="repeats: auto\n")
    result = run_gate(load_config(config), out_dir=tmp_path / "out")
    looks = {look.key: look for look in result.adaptive.thresholds}
    assert looks["correctness.pass_rate"].looks == 2
    assert looks["correctness.fail_count"].decision == "first pass"
    assert "not an average over rows" in looks["correctness.fail_count"].reason
    assert looks["latency_ms.mean"].decision == "first pass"
    assert "not a per-row metric of a suite" in looks["latency_ms.mean"].reason
    assert "a confident threshold's interval is about rows outside" in looks["correctness.mean"].reason
    # a text length is no score in [0, 1]: nothing bounds its noise on the first look
    assert "not within [0, 1]" in looks["format.length.mean"].reason
    summary = (tmp_path / "out" / "summary.md").read_text()
    assert "| `latency_ms.mean` | first pass | 1 | 0 |" in summary
    # fail_count is the first pass's count, not the count over two rounds
    first = [x for x in gate_results(tmp_path / "out") if x["repeat"] == 0]
    assert result.metrics["correctness"]["fail_count"] == sum(
        not x["scores"]["correctness.ExactMatch"]["passed"] for x in first)


def test_re_asks_for_a_threshold_never_come_from_the_first_passs_cache(tmp_path, noisy):
    config = threshold_gate(tmp_path, noisy.base_url, ">= 0.7")
    before = noisy.stats.completions
    first = run_gate(load_config(config), out_dir=tmp_path / "out", use_cache=True, cache_dir=tmp_path / "cache")
    assert only_threshold(first).looks == 2
    assert noisy.stats.completions - before == 2 * len(ROWS)  # the second round was asked, not replayed
    # a second --cache run replays every ask, the re-asks included, and decides the same
    before = noisy.stats.completions
    again = run_gate(load_config(config), out_dir=tmp_path / "again", use_cache=True, cache_dir=tmp_path / "cache")
    assert noisy.stats.completions - before == 0
    assert only_threshold(again) == only_threshold(first)


class TakeDown(Console):
    """The terminal, which also injects a fault into ``standin`` once auto starts asking again:
    a way to bring an endpoint down in the middle of the re-asks without touching gatewise."""

    def __init__(self, standin: StandinServer) -> None:
        super().__init__(quiet=True)
        self.standin = standin

    def info(self, message: str) -> None:
        if message.startswith("repeats: auto:"):
            self.standin.set_faults(Faults(error_rate=1.0))
        super().info(message)


def test_the_model_going_down_during_the_re_asks_is_exit_3_keeps_the_streamed_lines_and_resumes(tmp_path, noisy):
    config = threshold_gate(tmp_path, noisy.base_url, ">= 0.7")
    with pytest.raises(InfraError) as caught:
        run_gate(load_config(config), out_dir=tmp_path / "out", console=TakeDown(noisy))
    assert caught.value.exit_code == 3
    # round 2 begins with the pilot (30 rows): the endpoint is down for every one of them
    assert "every one of 30 calls" in str(caught.value)
    out = tmp_path / "out"
    assert not (out / "gate-result.json").exists() and not (out / "summary.md").exists()
    # each re-ask was written as it finished: the streamed file holds them, under their repeat index
    lines = gate_results(out)
    assert {x["row_id"] for x in lines if x["repeat"] == 0} == {row["id"] for row in ROWS}
    assert len([x for x in lines if x["repeat"] == 1]) == 30
    # back up: --resume keeps the first pass, drops the failed round, and asks the rounds afresh
    noisy.set_faults(Faults())
    before = noisy.stats.completions
    resumed = run_gate(load_config(config), out_dir=out, resume=True)
    assert noisy.stats.completions - before == len(ROWS) * (only_threshold(resumed).looks - 1)
    assert resumed.passed and (out / "gate-result.json").exists()
    assert all("error" not in x or x["error"] is None for x in gate_results(out))


def test_the_baseline_going_down_during_the_re_asks_is_exit_3(tmp_path):
    with StandinServer(TABLE, quality=0.7, seed=9, noise=2.0) as worse, \
            StandinServer(TABLE, quality=0.85, seed=8, noise=2.0) as champion:
        extra = (f"baseline:\n  endpoint:\n    base_url: {champion.base_url}\n    model: standin-model\n"
                 "    concurrency: 1\n    timeout_s: 5\n    max_retries: 0\n")
        config = write_gate(tmp_path, worse.base_url, rows=ROWS, endpoint=ONE_AT_A_TIME, suites=SUITES,
                            thresholds="", extra="repeats: auto\n" + extra)
        with pytest.raises(InfraError) as caught:
            run_gate(load_config(config), out_dir=tmp_path / "out", console=TakeDown(champion))
    assert caught.value.exit_code == 3
    assert "baseline endpoint (baseline.endpoint)" in str(caught.value)
    assert not (tmp_path / "out" / "gate-result.json").exists()


def test_resume_of_a_run_with_re_asks_drops_them_and_decides_again(tmp_path, noisy):
    config = threshold_gate(tmp_path, noisy.base_url, ">= 0.7")
    first = run_gate(load_config(config), out_dir=tmp_path / "out")
    assert any(x["repeat"] > 0 for x in gate_results(tmp_path / "out"))
    before = noisy.stats.completions
    resumed = run_gate(load_config(config), out_dir=tmp_path / "out", resume=True)
    # the first pass is kept; the rounds of auto are run afresh (their rule starts from the first pass)
    assert noisy.stats.completions - before == len(ROWS)
    assert resumed.adaptive.rounds == 2 and only_threshold(resumed).decision == only_threshold(first).decision
    lines = gate_results(tmp_path / "out")
    assert len(lines) == 2 * len(ROWS) and len({(x["row_id"], x["repeat"]) for x in lines}) == 2 * len(ROWS)


# --- the rule's error rate under repeated looks (simulated, seeded) ----------------------------------------


def simulate(p_right: list[float], target: float, *, spend: bool, runs: int, seed: int, max_looks: int = 8,
             alpha: float = 0.025, pilot: bool = False) -> float:
    """Share of runs the rule stops before the cap on the wrong side, for a model at ``target``
    (``>=``: exactly at the line passes, so stopping with "fail" is the wrong decision). With
    ``pilot``, round 2 begins with the gate's pilot (its rows drawn per run) and its look."""
    rng = random.Random(seed)
    wrong = 0
    for run in range(runs):
        rows: dict[int, list[float]] = {i: [] for i in range(len(p_right))}
        chosen = pilot_rows(list(rows), run) if pilot else frozenset()
        for look in range(1, max_looks):
            for i, p in enumerate(p_right):
                if len(rows[i]) < look:
                    rows[i].append(1.0 if rng.random() < p else 0.0)
            decision, _, _ = look_at(rows, ">=", target, look, max_looks, alpha, spend=spend)
            if decision == "undecided" and look == 1 and pilot:
                for i in chosen:
                    rows[i].append(1.0 if rng.random() < p_right[i] else 0.0)
                decision, _, _ = pilot_look(rows, {i: rows[i] for i in chosen}, ">=", target, max_looks, alpha)
            if decision != "undecided":
                wrong += decision == "fail"
                break
    return wrong / runs


@pytest.mark.parametrize("rows, noisy_rows, p", [(300, 30, 0.5), (300, 60, 0.3), (300, 300, 0.8), (80, 2, 0.5)],
                         ids=["some-coins", "more", "every-row", "two-coins"])
def test_the_rule_stopping_early_errs_within_alpha_and_the_naive_rule_does_not(rows, noisy_rows, p):
    # noisy_rows flip with chance p, the rest always right (80 %) or always wrong; with two coins the
    # plug-in variance is often 0 (both agree with themselves) and a naive look decides on a coin
    steady = rows - noisy_rows
    p_right = [p] * noisy_rows + [1.0] * round(steady * 0.8) + [0.0] * (steady - round(steady * 0.8))
    theta = sum(p_right) / len(p_right)
    spent = simulate(p_right, theta, spend=True, runs=600, seed=1)
    naive = simulate(p_right, theta, spend=False, runs=600, seed=1)
    assert spent <= 0.025 + 0.012  # alpha plus ~2 simulation standard errors
    assert naive > 0.05  # the full alpha at every look: each look another chance to cross by luck


@pytest.mark.parametrize("rows, noisy_rows, p", [(300, 30, 0.5), (300, 60, 0.3), (300, 300, 0.8), (80, 2, 0.5),
                                                 (300, 8, 0.5)],
                         ids=["some-coins", "more", "every-row", "two-coins", "few-coins"])
def test_the_rule_with_the_pilot_look_still_errs_within_alpha(rows, noisy_rows, p):
    # the pilot look is one more chance to stop: its own share of alpha keeps the total within it
    steady = rows - noisy_rows
    p_right = [p] * noisy_rows + [1.0] * round(steady * 0.8) + [0.0] * (steady - round(steady * 0.8))
    theta = sum(p_right) / len(p_right)
    assert simulate(p_right, theta, spend=True, runs=600, seed=2, pilot=True) <= 0.025 + 0.012


def test_the_pilot_look_decides_a_steady_model_and_not_a_noisy_one_at_the_same_distance():
    first = {i: [1.0 if i < 255 else 0.0] for i in range(300)}  # 0.85 on the first pass, 5 points over 0.80
    assert look_at(first, ">=", 0.80, 1, 8, 0.025)[0] == "undecided"
    chosen = pilot_rows(list(first), 0)
    agreed = {i: [*first[i], first[i][0]] for i in chosen}
    assert pilot_look(first, agreed, ">=", 0.80, 8, 0.025)[0] == "pass"
    # a third of the pilot's pairs disagree: that noise could hide 5 points, so round 2 goes on
    noisy = {i: [*first[i], first[i][0] if k % 3 else 1.0 - first[i][0]] for k, i in enumerate(sorted(chosen))}
    assert pilot_look(first, noisy, ">=", 0.80, 8, 0.025)[0] == "undecided"


# --- a KServe V2 model (KServe's own ModelServer, a scikit-learn classifier) ----------------------------

IRIS = iris_rows()
IRIS_FEATURES = "  features: [sepal_length, sepal_width, petal_length, petal_width]\n"
# a per-row check on the predicted class's text (1 where the model says setosa), and the classifier
SETOSA_AND_CLASSES = ("\n  - name: setosa\n    evidently: [{descriptor: RegExp, reg_exp: \"^0$\"}]\n"
                      "  - name: clf\n    classification: {label: species}\n")


def test_auto_with_a_v2_model_re_asks_its_rows_and_compares_with_a_v2_baseline(tmp_path, server, capsys):
    from gatewise.cli import main

    config = write_v2_gate(tmp_path, server.base_url, IRIS, endpoint=IRIS_FEATURES, suites=SETOSA_AND_CLASSES,
                           thresholds='{setosa: {pass_rate: ">= 0.25"}, clf: {accuracy: ">= 0.8"}}',
                           extra=f"repeats: auto\nbaseline:\n  endpoint: {{ kind: v2, base_url: {server.base_url}, "
                                 "model: iris }\n")
    code = main(["gate", "--config", str(config), "--out", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    auto = json.loads((tmp_path / "out" / "gate-result.json").read_text())["repeats"]["auto"]
    looks = {t["key"]: t for t in auto["thresholds"]}
    # a third of iris is setosa: one pass cannot rule out noise that close to 0.25; round 2's pilot
    # (38 random rows of 150) shows none, and decides it without asking the other rows again
    setosa = looks["setosa.pass_rate"]
    assert (setosa["looks"], setosa["pilot_rows"], setosa["reasked_rows"]) == (1, 38, 38)
    assert setosa["reason"].startswith("pilot: 38 rows asked again, 38 of 38 agreed")
    assert looks["clf.accuracy"]["decision"] == "first pass"
    # the same model on both sides: no row disagrees, both compared suites pass on the first look
    assert {(x["metric"], x["decision"], x["looks"]) for x in auto["looks"]} == {("setosa", "pass", 1),
                                                                                  ("clf", "pass", 1)}
    lines = gate_results(tmp_path / "out")
    assert len(lines) == len(IRIS) + 38
    assert "repeats: auto: setosa.pass_rate pass after 1 ask per row and a pilot of 38 rows" in captured.out


def test_auto_with_a_v2_model_and_only_dataset_level_thresholds_is_refused(tmp_path, server, capsys):
    from gatewise.cli import main

    config = write_v2_gate(tmp_path, server.base_url, IRIS, endpoint=IRIS_FEATURES,
                           suites="\n  - name: clf\n    classification: {label: species}\n",
                           thresholds='{clf: {accuracy: ">= 0.8"}}', extra="repeats: auto\n")
    code = main(["gate", "--config", str(config), "--out", str(tmp_path / "out")])
    assert code == 2
    assert "[repeats]: repeats: auto has nothing it could re-ask for" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_threshold_and_the_comparison_undecided_together_ask_every_row_of_the_model_only(tmp_path):
    with StandinServer(TABLE, quality=0.7, seed=9, noise=2.0) as worse, \
            StandinServer(TABLE, quality=0.85, seed=8, noise=2.0) as champion:
        extra = (f"baseline:\n  endpoint:\n    base_url: {champion.base_url}\n    model: standin-model\n"
                 "    concurrency: 1\n    timeout_s: 5\n")
        config = threshold_gate(tmp_path, worse.base_url, ">= 0.75", extra=extra)
        result = run_gate(load_config(config), out_dir=tmp_path / "out")
        model_calls, baseline_calls = worse.stats.completions, champion.stats.completions
    look = only_threshold(result)
    auto = result.adaptive
    assert look.looks >= 2 and auto.looks and auto.looks[0].looks >= 2
    # while the threshold was undecided, every row of the model was asked; the baseline, only disputed rows
    lines = gate_results(tmp_path / "out")
    for repeat in range(look.looks):
        assert {x["row_id"] for x in lines if x["repeat"] == repeat} == {row["id"] for row in ROWS}
    assert model_calls >= look.looks * len(ROWS) and len(ROWS) < baseline_calls < model_calls
    assert auto.extra_calls == (model_calls - len(ROWS)) + (baseline_calls - len(ROWS))
    summary = (tmp_path / "out" / "summary.md").read_text()
    assert "every row was asked again, in full rounds" in summary and "disagreed were asked again" in summary


G_EVAL = G_EVAL_SUITE


def test_a_judge_suites_mean_is_re_asked_and_every_new_output_judged(tmp_path, judge, noisy):
    from .conftest import JUDGE_MODEL

    judge_lines = f"judge:\n  base_url: {judge.base_url}\n  model: {JUDGE_MODEL}\n  concurrency: 8\n  timeout_s: 5\n"
    config = write_gate(tmp_path, noisy.base_url, rows=ROWS, endpoint=ONE_AT_A_TIME, suites=G_EVAL,
                        thresholds='\n  correctness: { mean: ">= 0.7" }\n', extra="repeats: auto\n" + judge_lines)
    result = run_gate(load_config(config), out_dir=tmp_path / "out", cache_dir=tmp_path / "cache")
    look = only_threshold(result)
    assert look.key == "correctness.mean" and look.looks >= 2 and look.decision in ("pass", "fail")
    lines = gate_results(tmp_path / "out")
    assert len(lines) == look.looks * len(ROWS)
    assert all(x["scores"]["correctness.g-eval"]["judge_model"] == JUDGE_MODEL for x in lines)
    scores = [x["scores"]["correctness.g-eval"]["value"] for x in lines]
    assert look.estimate == pytest.approx(sum(scores) / len(scores))
    assert result.passed == (look.estimate >= 0.7)
