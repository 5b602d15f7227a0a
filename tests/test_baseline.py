"""The gate compared with a baseline on the same rows, repeats, and the config keys of both:
real stand-in endpoints on loopback, real Evidently scoring, the CLI's exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gatewise.cli import main
from gatewise.config import load_config
from gatewise.errors import ConfigError, EndpointUnreachableError
from gatewise.runner import run_gate
from gatewise.standin import StandinServer

from .conftest import ENDPOINT_DEFAULTS, example_rows, write_gate

SUITES = """
  - name: correctness
    evidently:
      - { descriptor: ExactMatch, expected: answer }
"""
THRESHOLDS = """
  correctness: { pass_rate: ">= 0.5" }
"""


@pytest.fixture(scope="module")
def worse_model(answers):
    with StandinServer(answers=answers, quality=0.6, seed=3) as server:
        yield server


def endpoint_block(url: str) -> str:
    lines = "".join(f"    {key}: {json.dumps(value)}\n" for key, value in {**ENDPOINT_DEFAULTS, "base_url": url}.items())
    return f"  endpoint:\n{lines}"


def gate(directory: Path, url: str, extra: str = "", rows: list[dict] | None = None, thresholds: str = THRESHOLDS):
    directory.mkdir(parents=True, exist_ok=True)
    return write_gate(directory, url, rows=rows, suites=SUITES, thresholds=thresholds, extra=extra)


@pytest.fixture(scope="module")
def baseline_out(tmp_path_factory, good_model):
    """A previous run of the good model: the baseline file the later runs compare with."""
    directory = tmp_path_factory.mktemp("baseline")
    result = run_gate(load_config(gate(directory, good_model.base_url)), out_dir=directory / "out")
    assert result.passed
    return directory / "out"


def verdict_line(document: dict, key: str) -> dict:
    (line,) = [t for t in document["thresholds"] if f"{t['metric']}.{t['statistic']}" == key]
    return line


# -- baseline from a results file ---------------------------------------------------------------------

def test_a_worse_candidate_fails_against_the_baseline_results(tmp_path, baseline_out, worse_model):
    config = gate(tmp_path, worse_model.base_url, f"baseline: {{ results: {baseline_out} }}\n")
    result = run_gate(load_config(config), out_dir=tmp_path / "out")
    document = json.loads((tmp_path / "out" / "gate-result.json").read_text())

    assert not result.passed
    line = verdict_line(document, "correctness.mean vs baseline")
    assert line["passed"] is False and line["mode"] == "significant"
    comparison = document["baseline"]["metrics"][0]
    rows = len(example_rows())
    assert document["baseline"]["paired"] is True and comparison["n"] == rows
    assert comparison["baseline"] == 1.0
    assert comparison["candidate"] == pytest.approx(document["metrics"]["correctness"]["mean"])
    assert comparison["delta"] == pytest.approx(comparison["candidate"] - 1.0)
    assert comparison["interval"][0] <= comparison["delta"] <= comparison["interval"][1] < 0
    # every row that got worse is a row the candidate now fails, and they are the listed ones
    lines = [json.loads(x) for x in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    failing = {x["row_id"] for x in lines if not x["scores"]["correctness.ExactMatch"]["passed"]}
    assert comparison["worse_count"] == len(failing)
    assert {r["row_id"] for r in comparison["worse_rows"]} <= failing
    assert all(r["baseline_passed"] and not r["candidate_passed"] for r in comparison["worse_rows"])
    summary = (tmp_path / "out" / "summary.md").read_text()
    assert "### Compared with the baseline" in summary and "rows got worse" in summary
    low, high = document["intervals"]["correctness"]["pass_rate"]
    assert f"{document['metrics']['correctness']['pass_rate']:.1%} [{low:.1%}, {high:.1%}]" in summary


def test_terminal_lines_show_the_interval(tmp_path, baseline_out, worse_model, capsys):
    from gatewise.commands import print_verdict

    result = run_gate(load_config(gate(tmp_path, worse_model.base_url, f"baseline: {{ results: {baseline_out} }}\n")))
    capsys.readouterr()
    print_verdict(result, None)
    out = capsys.readouterr().out
    by_key = {r.threshold.key: r for r in result.verdict.results}
    low, high = by_key["correctness.pass_rate"].ci
    assert f"[{low:.4g}, {high:.4g}]" in out
    low, high = by_key["correctness.mean vs baseline"].ci
    assert "FAIL correctness.mean vs baseline" in out and f"[{low:.4g}, {high:.4g}]" in out


def test_results_without_a_gate_result_pair_by_row_id_and_say_the_pin_is_unknown(tmp_path, baseline_out, good_model):
    lonely = tmp_path / "elsewhere" / "baseline.jsonl"
    lonely.parent.mkdir()
    lonely.write_text((baseline_out / "results.jsonl").read_text())
    result = run_gate(load_config(gate(tmp_path / "gate", good_model.base_url, f"baseline: {{ results: {lonely} }}\n")))
    assert result.baseline.paired and "pin is unknown" in result.baseline.note
    assert result.baseline.metrics[0].n == len(example_rows()) and result.passed


def test_the_same_model_passes_against_its_own_results(tmp_path, baseline_out, good_model):
    config = gate(tmp_path, good_model.base_url, f"baseline: {{ results: {baseline_out / 'results.jsonl'} }}\n")
    result = run_gate(load_config(config))
    assert result.passed
    (comparison,) = result.baseline.metrics
    assert comparison.delta == 0.0 and comparison.worse_count == 0


def test_another_dataset_compares_aggregates_only(tmp_path, baseline_out, worse_model):
    config = gate(tmp_path, worse_model.base_url, f"baseline: {{ results: {baseline_out} }}\n",
                  rows=example_rows(40))
    result = run_gate(load_config(config))
    assert result.baseline.paired is False
    assert "another dataset" in result.baseline.note
    (comparison,) = result.baseline.metrics
    assert comparison.worse_rows == () and comparison.interval is not None


def test_a_missing_baseline_file_is_exit_2_naming_the_key(tmp_path, good_model, capsys):
    config = gate(tmp_path, good_model.base_url, f"baseline:\n  results: {tmp_path / 'nowhere'}\n")
    before = good_model.stats.requests
    code = main(["gate", "--config", str(config), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    line = config.read_text().splitlines().index(f"  results: {tmp_path / 'nowhere'}") + 1
    assert f"{config}:{line} [baseline.results]" in err
    assert good_model.stats.requests == before  # nothing was called
    assert not (tmp_path / "out").exists()


def test_an_unreadable_baseline_file_is_exit_2(tmp_path, good_model, capsys):
    bad = tmp_path / "results.jsonl"
    bad.write_text('{"row_id": "q1", "scores": {}}\nnot json\n')
    config = gate(tmp_path / "gate", good_model.base_url, f"baseline: {{ results: {bad} }}\n")
    assert main(["gate", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "[baseline.results]" in err and f"{bad}:2" in err


# -- baseline endpoint in the same run ----------------------------------------------------------------

def test_a_worse_candidate_fails_against_a_baseline_endpoint(tmp_path, good_model, worse_model):
    config = gate(tmp_path, worse_model.base_url, "baseline:\n" + endpoint_block(good_model.base_url))
    before = good_model.stats.completions
    result = run_gate(load_config(config))
    assert good_model.stats.completions - before == len(example_rows())  # the baseline was really called
    assert not result.passed
    assert [r.threshold.key for r in result.verdict.failed] == ["correctness.mean vs baseline"]
    (comparison,) = result.baseline.metrics
    assert comparison.baseline == 1.0 and comparison.delta < -0.2
    assert result.baseline.kind == "endpoint" and result.baseline.paired


def test_a_better_candidate_with_repeats_passes_against_a_baseline_endpoint(tmp_path, good_model, worse_model):
    config = gate(tmp_path, good_model.base_url, "repeats: 2\nbaseline:\n" + endpoint_block(worse_model.base_url))
    result = run_gate(load_config(config), out_dir=tmp_path / "out", cache_dir=tmp_path / "cache", use_cache=True)
    rows = len(example_rows())
    assert result.passed
    assert len(result.samples) == 2 * rows and result.verdict.row_count == rows
    # the second repeat is a fresh call, not the first one's cached answer
    assert not any(s.cached for s in result.samples)
    assert {s.repeat for s in result.samples} == {0, 1}
    (suite,) = result.agreement
    assert suite.agreement == 1.0 and suite.flaky_rows == 0  # the stand-in is deterministic by default
    (comparison,) = result.baseline.metrics
    assert comparison.n == rows and comparison.delta > 0

    document = json.loads((tmp_path / "out" / "gate-result.json").read_text())
    assert document["repeats"] == {"k": 2, "suites": {"correctness": {
        "rows": rows, "agreement": 1.0, "flaky_rows": 0, "flakiness": 0.0}}}
    assert document["counts"]["samples"] == 2 * rows
    assert document["confidence"] == {"level": 0.95, "mode": "point", "resamples": 2000, "seed": 0}
    lines = [json.loads(x) for x in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    assert len(lines) == 2 * rows and all(x["agreement"] == {"correctness": 1.0} for x in lines)
    # intervals ride along with every statistic that has one
    low, high = document["intervals"]["correctness"]["pass_rate"]
    assert low <= document["metrics"]["correctness"]["pass_rate"] <= high
    assert verdict_line(document, "correctness.pass_rate")["ci"] == [low, high]
    assert "### Repeats" in (tmp_path / "out" / "summary.md").read_text()


def test_an_a_a_run_with_the_cache_calls_the_baseline_for_its_own_answers(tmp_path, good_model):
    # same URL and model on both sides: with --cache the baseline must still be asked, not handed
    # the candidate's answers of the same run (that would make every A/A comparison identical)
    config = gate(tmp_path, good_model.base_url, "baseline:\n" + endpoint_block(good_model.base_url))
    before = good_model.stats.completions
    result = run_gate(load_config(config), cache_dir=tmp_path / "cache", use_cache=True)
    assert good_model.stats.completions - before == 2 * len(example_rows())
    assert result.passed and result.baseline.paired
    # a second run replays both sides from the cache, each its own
    again = run_gate(load_config(config), cache_dir=tmp_path / "cache", use_cache=True)
    assert good_model.stats.completions - before == 2 * len(example_rows())
    assert all(s.cached for s in again.samples)


def test_a_baseline_endpoint_that_is_down_is_exit_3(tmp_path, good_model, capsys):
    config = gate(tmp_path, good_model.base_url, "baseline:\n" + endpoint_block("http://127.0.0.1:9/v1"))
    code = main(["gate", "--config", str(config), "--out", str(tmp_path / "out")])
    assert code == 3
    assert "baseline endpoint" in capsys.readouterr().err
    assert not (tmp_path / "out" / "gate-result.json").exists()


def test_run_gate_raises_infra_error_when_the_baseline_is_down(tmp_path, good_model):
    config = gate(tmp_path, good_model.base_url, "baseline:\n" + endpoint_block("http://127.0.0.1:9/v1"))
    with pytest.raises(EndpointUnreachableError, match="baseline"):
        run_gate(load_config(config))


# -- confident mode, end to end -----------------------------------------------------------------------

def test_confident_mode_fails_what_the_point_estimate_passes(tmp_path, worse_model):
    # the worse model's pass rate is about 0.6: the point estimate clears 0.55, its lower bound does not
    thresholds = """
  correctness:
    pass_rate: ">= 0.55"
    mean: { expect: ">= 0.55", mode: confident }
"""
    result = run_gate(load_config(gate(tmp_path, worse_model.base_url, thresholds=thresholds)))
    by_key = {r.threshold.key: r for r in result.verdict.results}
    point, confident = by_key["correctness.pass_rate"], by_key["correctness.mean"]
    assert point.value == pytest.approx(confident.value)
    assert point.passed and point.ci[0] < 0.55 < point.ci[1]
    assert not confident.passed and confident.judged_value == confident.ci[0]


# -- config errors ------------------------------------------------------------------------------------

@pytest.mark.parametrize("extra,key,message", [
    ("confidence: { level: 1.5 }\n", "confidence.level", "less than 1"),
    ("confidence: { mode: sure }\n", "confidence.mode", "'point' or 'confident'"),
    ("confidence: { levels: 0.9 }\n", "confidence.levels", "unknown key"),
    ("repeats: 0\n", "repeats", "greater than or equal to 1"),
    ("baseline: { max_regression: 0.02 }\n", "baseline", "exactly one of baseline.results, baseline.endpoint, baseline.alias and baseline.mlflow"),
    ("baseline: { results: x.jsonl, alias: champion }\n", "baseline", "exactly one of"),
    ("baseline: { alias: champion }\n", "baseline.alias", "needs model.name"),
    ("baseline: { results: x.jsonl, rule: lenient }\n", "baseline.rule", "significant"),
    ("baseline: { results: x.jsonl, max_regresion: 0.1 }\n", "baseline.max_regresion", "unknown key"),
])
def test_bad_new_keys_name_file_line_and_key(tmp_path, extra, key, message):
    config = gate(tmp_path, "http://127.0.0.1:9/v1", extra)
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    assert caught.value.key == key and caught.value.file == str(config)
    assert caught.value.line == len(config.read_text().splitlines()) - 1  # the line the extra key is on
    assert message in str(caught.value)


@pytest.mark.parametrize("spec,key,message", [
    ('{ expect: ">= 0.9", mode: sure }', "thresholds.correctness.mean.mode", "unknown mode 'sure'"),
    ('{ expect: ">= 0.9", mod: confident }', "thresholds.correctness.mean.mod", "unknown key 'mod'"),
    ('{ mode: confident }', "thresholds.correctness.mean", "needs expect"),
    ('{ expect: "about 0.9" }', "thresholds.correctness.mean.expect", "not a threshold expression"),
    ('{ expect: "== 0.9", mode: confident }', "thresholds.correctness.mean.mode", "confident mode needs"),
    ("0.9", "thresholds.correctness.mean", "a threshold is an operator and a number, quoted"),
])
def test_bad_threshold_specs_name_their_key(tmp_path, spec, key, message):
    config = gate(tmp_path, "http://127.0.0.1:9/v1", thresholds=f"\n  correctness:\n    mean: {spec}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    assert caught.value.key == key and message in str(caught.value)
    assert caught.value.line == config.read_text().splitlines().index(f"    mean: {spec}") + 1


def test_confident_mode_on_a_statistic_without_an_interval_is_refused(tmp_path):
    thresholds = '\n  correctness:\n    fail_count: { expect: "<= 3", mode: confident }\n'
    with pytest.raises(ConfigError, match="has no confidence interval") as caught:
        load_config(gate(tmp_path, "http://127.0.0.1:9/v1", thresholds=thresholds))
    assert caught.value.key == "thresholds.correctness.fail_count.mode"


def test_the_global_mode_reaches_thresholds_with_intervals_only(tmp_path):
    thresholds = '\n  correctness:\n    mean: ">= 0.9"\n    fail_count: "<= 3"\n    pass_rate: { expect: ">= 0.9", mode: point }\n'
    config = load_config(gate(tmp_path, "http://127.0.0.1:9/v1", "confidence: { mode: confident }\n",
                              thresholds=thresholds))
    modes = {t.key: t.mode for t in config.parsed_thresholds}
    assert modes == {"correctness.mean": "confident", "correctness.fail_count": "point",
                     "correctness.pass_rate": "point"}


# -- baseline from the registry: the champion's results -------------------------------------------

def test_the_champion_alias_is_the_baseline(tmp_path, baseline_out, worse_model, monkeypatch):
    from gatewise.registry import Lineage, connect, log_gate_run, register_version, tracking_uri_or_default

    monkeypatch.setenv("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    name = "qa-champion-test"
    extra = f"model: {{ name: {name} }}\nbaseline: {{ alias: champion }}\n"
    config = gate(tmp_path, worse_model.base_url, extra)
    # no champion yet (the first model of a name): the gate runs, says so, and compares nothing
    first = run_gate(load_config(config))
    assert first.passed and first.baseline.metrics == () and "no 'champion' alias yet" in first.baseline.note

    # the embedded default registry next to the config, as `gatewise promote` would leave it
    client = connect(tracking_uri_or_default(None, tmp_path))
    run_id = log_gate_run(client, "gatewise", baseline_out, Lineage(git_sha="a" * 40))
    register_version(client, name, "hf://org/model@1", run_id, Lineage(git_sha="a" * 40), alias="champion")

    result = run_gate(load_config(config), out_dir=tmp_path / "out")
    assert not result.passed
    assert result.baseline.kind == "alias" and result.baseline.paired
    assert "champion of qa-champion-test" in result.baseline.source
    (comparison,) = result.baseline.metrics
    assert comparison.baseline == 1.0 and comparison.delta < -0.2
    assert [r.threshold.key for r in result.verdict.failed] == ["correctness.mean vs baseline"]


def test_only_suites_whose_row_value_is_higher_is_better_are_compared_with_the_baseline():
    # a regression row's value is its error and a drift suite has no rows: comparing their means
    # would block an improvement (or always block, having nothing to pair), so thresholds gate them
    from gatewise.config import GateConfig
    from gatewise.gate import Observation, compare_with_baseline

    config = GateConfig.model_validate({
        "endpoint": {"kind": "v2", "base_url": "http://127.0.0.1:9", "model": "m"},
        "dataset": {"path": "rows.jsonl"},
        "suites": [{"name": "clf", "classification": {"label": "y"}},
                   {"name": "reg", "regression": {"target": "t"}},
                   {"name": "drift", "drift": {"reference": {"path": "ref.jsonl"}, "columns": ["a"]}},
                   {"name": "fmt", "evidently": [{"descriptor": "IsValidJSON"}]}],
        "baseline": {"results": "before/"},
    })
    rows = [f"r{i}" for i in range(40)]
    candidate = {"clf": tuple(Observation(r, 0, 1.0, True, False) for r in rows),
                 "reg": tuple(Observation(r, 0, 0.5, True, False) for r in rows),  # error halved: better
                 "fmt": tuple(Observation(r, 0, 1.0, True, False) for r in rows)}
    baseline = {"clf": candidate["clf"], "fmt": candidate["fmt"],
                "reg": tuple(Observation(r, 0, 1.0, True, False) for r in rows)}
    comparison = compare_with_baseline(config, candidate, baseline, paired=True, source="before/", kind="results",
                                       dataset_sha256=None)
    assert [item.metric for item in comparison.metrics] == ["clf", "fmt"]
    assert all(item.n == len(rows) and item.delta == 0 for item in comparison.metrics)
