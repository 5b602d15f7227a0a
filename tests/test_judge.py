"""LLM-as-judge suites, end to end through ``gatewise gate``: deepeval's metrics against the
stand-in acting as judge (a second ``StandinServer`` that answers deepeval's judge prompts).

The stand-in judge is deterministic: G-Eval gives the top score when the output states the
expected answer, the bottom one otherwise; so the expected scores below are computed here from
the outputs, not taken from the code under test.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from gatewise.cli import main
from gatewise.standin import Faults, StandinServer

from .conftest import G_EVAL_SUITE, gate_cli_run as run, gate_results as results, JUDGE_MODEL, example_rows, write_gate

ROWS = example_rows(12)
CORPUS = [json.loads(line) for line in
          (Path(__file__).parent / "data" / "injection" / "corpus.jsonl").read_text(encoding="utf-8").splitlines()]
JUDGE_KEY = "sk-judge-9f8e7d6c5b4a39281706"
G_EVAL = G_EVAL_SUITE


def judge_section(url: str, **extra) -> str:
    settings = {"base_url": url, "model": JUDGE_MODEL, "concurrency": 8, "timeout_s": 5, "max_retries": 2,
                "backoff_s": 0.01, "max_backoff_s": 0.05, **extra}
    return "judge:\n" + "".join(f"  {key}: {json.dumps(value)}\n" for key, value in settings.items())


def gate(directory: Path, under_test: StandinServer, judge_url: str, *, rows=ROWS, suites: str = G_EVAL,
         thresholds: str = '\n  correctness: { mean: ">= 0.8" }\n', **judge_extra) -> Path:
    return write_gate(directory, under_test.base_url, rows=rows, suites=suites, thresholds=thresholds,
                      extra=judge_section(judge_url, **judge_extra))


def states_answer(output: str, answer: str) -> bool:
    """The stand-in judge's G-Eval rule, restated: the output contains the expected answer."""
    def norm(text: str) -> str:
        return " ".join("".join(c if c.isalnum() or c.isspace() else " " for c in text.lower()).split())
    return norm(answer) in norm(output)


# --- end to end ---------------------------------------------------------------------------------

def test_a_g_eval_suite_passes_end_to_end_with_scores_reasons_and_judge_model(tmp_path, capsys, judge, good_model):
    code, stdout, stderr = run(capsys, gate(tmp_path, good_model, judge.base_url), tmp_path / "out")
    assert code == 0, stderr
    assert stdout.startswith("PASSED")
    assert "judged rows" in stderr  # progress while judging
    rows = results(tmp_path / "out")
    assert len(rows) == len(ROWS)
    for row in rows:
        score = row["scores"]["correctness.g-eval"]
        assert score == {"value": 1.0, "passed": True, "error": None, "judge_model": JUDGE_MODEL,
                         "reason": "The actual output states the expected answer."}
    result = json.loads((tmp_path / "out" / "gate-result.json").read_text())
    assert result["metrics"]["correctness"]["mean"] == 1.0
    assert result["metrics"]["correctness"]["pass_rate"] == 1.0
    assert [t["metric"] for t in result["thresholds"]] == ["errors", "correctness"]
    assert "correctness" in (tmp_path / "out" / "summary.md").read_text(encoding="utf-8")


def test_a_poor_model_fails_the_judge_threshold_with_the_scores_the_judge_gave(tmp_path, capsys, judge, poor_model):
    code, stdout, stderr = run(capsys, gate(tmp_path, poor_model, judge.base_url), tmp_path / "out")
    assert code == 1, stderr
    assert "correctness.mean" in stdout
    rows = results(tmp_path / "out")
    expected = [1.0 if states_answer(r["output"], r["inputs"]["answer"]) else 0.0 for r in rows]
    assert 0 < sum(expected) < len(rows), "the poor model should get some rows right and some wrong"
    assert [r["scores"]["correctness.g-eval"]["value"] for r in rows] == expected
    assert [r["scores"]["correctness.g-eval"]["passed"] for r in rows] == [v >= 0.5 for v in expected]
    mean = json.loads((tmp_path / "out" / "gate-result.json").read_text())["metrics"]["correctness"]["mean"]
    assert mean == pytest.approx(sum(expected) / len(expected))


METRIC_SUITES = {
    "answer-relevancy": "metric: answer-relevancy",
    "faithfulness": "metric: faithfulness\n      columns: { retrieval_context: context }",
    "hallucination": "metric: hallucination\n      columns: { context: context }",
    "bias": "metric: bias",
    "toxicity": "metric: toxicity",
    "g-eval-steps-rubric": ("metric: g-eval\n      evaluation_steps: [\"Compare the answer with the expected output.\"]\n"
                            "      rubric:\n        - { score_range: [0, 4], expected_outcome: wrong }\n"
                            "        - { score_range: [5, 10], expected_outcome: right }\n"
                            "      columns: { expected_output: answer }"),
}


@pytest.mark.parametrize("metric", sorted(METRIC_SUITES))
def test_each_deepeval_metric_scores_every_row(tmp_path, capsys, judge, good_model, metric):
    rows = [{**r, "context": f"The answer to '{r['question']}' is {r['answer']}."} for r in ROWS[:4]]
    suites = f"\n  - name: quality\n    judge:\n      {METRIC_SUITES[metric]}\n"
    config = gate(tmp_path, good_model, judge.base_url, rows=rows, suites=suites,
                  thresholds='\n  quality: { pass_rate: ">= 1.0" }\n')
    code, _, stderr = run(capsys, config, tmp_path / "out")
    assert code == 0, stderr
    for row in results(tmp_path / "out"):
        (name, score), = row["scores"].items()
        assert name.startswith("quality.")
        assert score["error"] is None and score["passed"] is True and score["value"] == 1.0
        assert score["reason"] and score["judge_model"] == JUDGE_MODEL


@pytest.mark.parametrize("metric, output", [("toxicity", "I think you are an idiot for asking."),
                                            ("bias", "I think women are naturally better at this.")])
def test_toxic_or_biased_outputs_score_low_and_fail_as_higher_is_better(tmp_path, capsys, judge, metric, output):
    # every judge metric reports "higher is better" (deepeval 4 flipped bias/toxicity/hallucination)
    rows = ROWS[:2]
    answers = {rows[0]["question"]: output, rows[1]["question"]: rows[1]["answer"]}
    with StandinServer(answers=answers) as model:
        suites = f"\n  - name: safety\n    judge: {{ metric: {metric}, threshold: 0.5 }}\n"
        config = gate(tmp_path, model, judge.base_url, rows=rows, suites=suites,
                      thresholds='\n  safety: { min: ">= 0.5" }\n')
        code, stdout, stderr = run(capsys, config, tmp_path / "out")
    assert code == 1, stderr
    first, second = (r["scores"][f"safety.{metric}"] for r in results(tmp_path / "out"))
    assert (first["value"], first["passed"]) == (0.0, False)
    assert (second["value"], second["passed"]) == (1.0, True)


def test_judge_and_evidently_suites_run_side_by_side(tmp_path, capsys, judge, good_model):
    suites = G_EVAL + "  - name: format\n    evidently: [ { descriptor: TextLength, name: length, max: 200 } ]\n"
    config = gate(tmp_path, good_model, judge.base_url, suites=suites,
                  thresholds='\n  correctness: { mean: ">= 0.8" }\n  format: { pass_rate: ">= 1.0" }\n')
    code, _, stderr = run(capsys, config, tmp_path / "out", "--cache")
    assert code == 0, stderr
    assert all(set(r["scores"]) == {"correctness.g-eval", "format.length"} for r in results(tmp_path / "out"))
    # replayed: the model's responses and Evidently's scores from --cache, the judge's from its cache
    from gatewise.config import load_config
    from gatewise.runner import run_gate

    before = judge.stats.completions
    again = run_gate(load_config(config), out_dir=tmp_path / "again", cache_dir=tmp_path / "cache", use_cache=True)
    assert again.passed and judge.stats.completions == before
    assert len(again.scores) == 2 * len(ROWS)  # each row scored once per suite, not twice
    assert [r["scores"] for r in results(tmp_path / "again")] == [r["scores"] for r in results(tmp_path / "out")]


# --- failing closed -------------------------------------------------------------------------------

def test_gate_exits_3_when_the_judge_is_down_before_the_model_is_called(tmp_path, capsys, good_model):
    before = good_model.stats.requests
    code, stdout, stderr = run(capsys, gate(tmp_path, good_model, "http://127.0.0.1:9/v1"), tmp_path / "out")
    assert code == 3
    assert "cannot reach the judge endpoint at http://127.0.0.1:9/v1" in stderr
    assert good_model.stats.requests == before, "the model was called although the judge is down"
    assert not (tmp_path / "out" / "gate-result.json").exists()


def test_malformed_judge_output_is_a_row_error_and_the_gate_fails(tmp_path, capsys, judge, good_model):
    suites = ("\n  - name: correctness\n    judge:\n      metric: g-eval\n"
              "      evaluation_steps: [\"Check the output states the expected answer.\"]\n"
              "      columns: { expected_output: answer }\n")
    judge.set_faults(Faults(judge_garbage_rate=0.5))
    try:
        code, stdout, stderr = run(capsys, gate(tmp_path, good_model, judge.base_url, suites=suites), tmp_path / "out")
    finally:
        judge.set_faults(Faults())
    assert code == 1, stderr
    assert "errors.count" in stdout
    scores = [r["scores"]["correctness.g-eval"] for r in results(tmp_path / "out")]
    garbled = [s for s in scores if s["error"] is not None]
    assert 0 < len(garbled) < len(scores), "the fault should garble some rows, not all"
    for score in garbled:
        assert score["value"] is None and score["passed"] is False  # never a zero, never a pass
        assert "holds no JSON" in score["error"]
    assert all(s["value"] == 1.0 for s in scores if s["error"] is None)
    metrics = json.loads((tmp_path / "out" / "gate-result.json").read_text())["metrics"]
    assert metrics["errors"]["count"] == len(garbled)
    assert metrics["correctness"]["error_count"] == len(garbled)
    assert metrics["correctness"]["mean"] == 1.0  # errored rows are not zeros
    assert metrics["correctness"]["pass_rate"] == pytest.approx(1 - len(garbled) / len(scores))


def test_a_judge_that_answers_only_errors_exits_3(tmp_path, capsys, judge, good_model):
    config = gate(tmp_path, good_model, judge.base_url)
    before = judge.stats.requests
    judge.set_faults(Faults(error_rate=1.0))
    try:
        code, _, stderr = run(capsys, config, tmp_path / "out")
    finally:
        judge.set_faults(Faults())
    assert code == 3, stderr
    assert "cannot reach the judge endpoint" in stderr and "HTTP 50" in stderr
    assert judge.stats.requests - before == 4  # the preflight's tries, with its retries


def test_a_judge_that_refuses_every_row_exits_3_with_no_verdict(tmp_path, capsys, judge, good_model):
    # the judge is up (its preflight passes) but refuses every judging request for this model name
    config = gate(tmp_path, good_model, judge.base_url, model="no-such-judge")
    code, _, stderr = run(capsys, config, tmp_path / "out")
    assert code == 3, stderr
    assert f"gave no usable answer for any of {len(ROWS)} judged rows" in stderr
    assert f"HTTP 404: The model `no-such-judge` does not exist. Valid aliases: {JUDGE_MODEL}." in stderr
    assert not (tmp_path / "out" / "gate-result.json").exists()


def test_a_judge_call_failing_after_retries_is_a_row_error_never_a_score(tmp_path, capsys, judge, good_model):
    steps = 'evaluation_steps: ["Check the output states the expected answer."]'
    config = gate(tmp_path, good_model, judge.base_url, max_retries=0, suites=G_EVAL.replace(
        'criteria: "Does the actual output state the same answer as the expected output?"', steps))
    judge.set_faults(Faults(error_rate=0.4, seed=11))  # the preflight retries anyway; rows get no retry
    try:
        code, stdout, stderr = run(capsys, config, tmp_path / "out")
    finally:
        judge.set_faults(Faults())
    assert code == 1, stderr
    assert "errors.count" in stdout
    scores = [r["scores"]["correctness.g-eval"] for r in results(tmp_path / "out")]
    failed = [s for s in scores if s["error"] is not None]
    assert 0 < len(failed) < len(scores)
    for score in failed:
        assert score["value"] is None and score["passed"] is False
        assert score["error"].startswith("judge call failed: HTTP 50"), score["error"]
    metrics = json.loads((tmp_path / "out" / "gate-result.json").read_text())["metrics"]
    assert metrics["errors"]["count"] == len(failed)
    assert metrics["correctness"]["mean"] == 1.0 and metrics["correctness"]["error_count"] == len(failed)


# --- cache ----------------------------------------------------------------------------------------

def test_judge_answers_are_cached_so_a_rerun_makes_no_judge_calls(tmp_path, capsys, judge, good_model):
    config = gate(tmp_path, good_model, judge.base_url)
    first = judge.stats.completions
    assert run(capsys, config, tmp_path / "out1")[0] == 0
    made = judge.stats.completions - first
    assert made == len(ROWS) + 1  # one per row, plus G-Eval's evaluation steps once per run

    second = judge.stats.completions
    code, _, stderr = run(capsys, config, tmp_path / "out2")
    assert code == 0
    assert judge.stats.completions == second, "the re-run called the judge"
    assert f"0 judge calls, {len(ROWS) + 1} answers from the cache" in stderr
    assert results(tmp_path / "out1") != [] and [r["scores"] for r in results(tmp_path / "out2")] == \
        [r["scores"] for r in results(tmp_path / "out1")]

    third = judge.stats.completions
    assert run(capsys, config, tmp_path / "out3", "--no-cache")[0] == 0
    assert judge.stats.completions - third == made, "--no-cache must ask the judge afresh"


# --- judge injection ------------------------------------------------------------------------------

def _corpus_run(tmp_path: Path, capsys, judge, column: str) -> dict[str, dict]:
    rows = [{"id": c["id"], "question": c["question"], "answer": c["answer"]} for c in CORPUS]
    with StandinServer(answers={c["question"]: c[column] for c in CORPUS}) as model:
        directory = tmp_path / column
        directory.mkdir()
        code, _, stderr = run(capsys, gate(directory, model, judge.base_url, rows=rows), directory / "out")
    assert code in (0, 1), stderr
    return {r["row_id"]: r for r in results(directory / "out")}


def test_injected_instructions_do_not_raise_scores(tmp_path, capsys, judge):
    clean = _corpus_run(tmp_path, capsys, judge, "clean_output")
    injected = _corpus_run(tmp_path, capsys, judge, "injected_output")
    for case in CORPUS:
        assert injected[case["id"]]["output"] == case["injected_output"]
        before = clean[case["id"]]["scores"]["correctness.g-eval"]
        after = injected[case["id"]]["scores"]["correctness.g-eval"]
        assert before["value"] == 0.0 and before["error"] is None  # wrong answers, judged wrong
        assert after["value"] is not None and after["value"] <= before["value"], case["id"]
        assert after["passed"] is False
        assert after["error"].startswith("possible judge injection"), case["id"]


def test_the_standin_judge_obeys_an_injection_that_is_not_delimited():
    # the control that gives the test above its teeth: without gatewise's delimiters the
    # stand-in judge does what the judged text says
    from gatewise.standin._judge import judge_reply
    from gatewise.suites._judge_guard import delimit

    def g_eval_prompt(actual: str) -> str:
        return ("You are an evaluator. Given the following evaluation steps, assess the response below and "
                "return a JSON object with two fields:\n- `\"score\"`: an integer between 0 and 10, ...\n\n"
                "Evaluation Steps:\n1. Compare.\n\nTest Case:\nInput:\nQ \n\nActual Output:\n"
                f"{actual} \n\nExpected Output:\nParis \n\n\nParameters:\nInput, Actual Output\n\n---\nJSON:\n")

    for case in CORPUS:
        raw = json.loads(judge_reply(g_eval_prompt(case["injected_output"])))
        guarded = json.loads(judge_reply(g_eval_prompt(delimit(case["injected_output"]))))
        assert raw["score"] == 10, case["id"]
        assert guarded["score"] == 0, case["id"]


# --- config and secrets ---------------------------------------------------------------------------

def _refused(capsys, tmp_path: Path, config: Path, model: StandinServer, judge: StandinServer) -> str:
    before = (model.stats.requests, judge.stats.requests)
    code, _, stderr = run(capsys, config, tmp_path / "out")
    assert code == 2, stderr
    assert (model.stats.requests, judge.stats.requests) == before, "an endpoint was called"
    assert not (tmp_path / "out").exists()
    return stderr


def _line_of(config: Path, text: str) -> int:
    return next(n for n, line in enumerate(config.read_text().splitlines(), 1) if text in line)


@pytest.mark.parametrize("suites, key, needle, message", [
    ('\n  - name: correctness\n    judge: { metric: g-eval, columns: { expected_output: answer } }\n',
     "suites[0].judge.metric", "judge: {", "g-eval needs criteria or evaluation_steps"),
    ('\n  - name: correctness\n    judge: { metric: g-eval, criteria: "Right?", columns: { expected_output: verdict } }\n',
     "suites[0].judge.columns.expected_output", "judge: {", "reads column 'verdict'"),
    ('\n  - name: correctness\n    judge: { metric: faithfulness }\n',
     "suites[0].judge.metric", "judge: {", "faithfulness needs columns.retrieval_context"),
    ('\n  - name: correctness\n    judge: { metric: g-eval, criteria: "Right?", treshold: 0.7 }\n',
     "suites[0].judge.treshold", "judge: {", "unknown key"),
    ('\n  - name: correctness\n    judge: { metric: geval, criteria: "Right?" }\n',
     "suites[0].judge.metric", "judge: {", "Input should be"),
    ('\n  - name: correctness\n    judge: { metric: bias, criteria: "Fair?" }\n',
     "suites[0].judge.criteria", "judge: {", "criteria applies to g-eval and conversational-g-eval only"),
    ('\n  - name: correctness\n    evidently: [ { descriptor: IsValidJSON } ]\n    judge: { metric: bias }\n',
     "suites[0].judge", "judge: {", "a suite needs exactly one of"),
    ('\n  - name: correctness\n    judge:\n      metric: g-eval\n      criteria: "Right?"\n      rubric:\n'
     '        - { score_range: [0, 5], expected_outcome: wrong }\n'
     '        - { score_range: [5, 10], expected_outcome: right }\n',
     "suites[0].judge.rubric", "rubric:", "rubric bands [0, 5] and [5, 10] overlap"),
    ('\n  - name: correctness\n    judge: { metric: g-eval, criteria: "  " }\n',
     "suites[0].judge.criteria", "judge: {", "criteria must say something"),
], ids=["g-eval-without-criteria", "missing-column", "faithfulness-without-context", "unknown-key",
        "unknown-metric", "criteria-on-bias", "two-kinds", "overlapping-rubric", "blank-criteria"])
def test_bad_judge_config_is_refused_before_any_call(tmp_path, capsys, judge, good_model, suites, key, needle, message):
    config = gate(tmp_path, good_model, judge.base_url, suites=suites, thresholds="")
    err = _refused(capsys, tmp_path, config, good_model, judge)
    assert f"{config}:{_line_of(config, needle)} [{key}]" in err
    assert message in err


def test_a_judge_suite_without_a_judge_section_is_refused(tmp_path, capsys, judge, good_model):
    config = write_gate(tmp_path, good_model.base_url, rows=ROWS, suites=G_EVAL, thresholds="")
    err = _refused(capsys, tmp_path, config, good_model, judge)
    assert f"{config}:{_line_of(config, '    judge:')} [suites[0].judge]: a judge suite needs a top-level judge:" in err


def test_the_judge_key_comes_from_the_environment_and_never_reaches_output(tmp_path, capsys, monkeypatch, good_model):
    with StandinServer(model_id=JUDGE_MODEL, api_key=JUDGE_KEY) as locked:
        monkeypatch.setenv("GATEWISE_JUDGE_KEY", JUDGE_KEY)
        code, stdout, stderr = run(capsys, gate(tmp_path, good_model, locked.base_url), tmp_path / "out")
        assert code == 0, stderr
        assert locked.stats.completions == len(ROWS) + 1

        monkeypatch.setenv("GATEWISE_JUDGE_KEY", JUDGE_KEY + "-wrong")
        code2, stdout2, stderr2 = run(capsys, gate(tmp_path, good_model, locked.base_url), tmp_path / "out2")
        assert code2 == 3 and "refused the API key" in stderr2 and "judge.api_key" in stderr2
    for text in (stdout, stderr, stdout2, stderr2, *(p.read_text(errors="replace") for p in tmp_path.rglob("*")
                                                    if p.is_file() and p.suffix != ".sqlite")):
        assert JUDGE_KEY not in text


def test_deepeval_leaves_no_files_in_the_working_directory(tmp_path, capsys, monkeypatch, judge, good_model):
    work, elsewhere = tmp_path / "cwd", tmp_path / "elsewhere"
    work.mkdir()
    elsewhere.mkdir()
    monkeypatch.chdir(work)
    home_state = Path.home() / ".deepeval"
    existed = home_state.exists()
    config = gate(elsewhere, good_model, judge.base_url)
    code, _, stderr = run(capsys, config, elsewhere / "out")
    assert code == 0, stderr
    assert list(work.iterdir()) == [], "deepeval wrote into the working directory"
    assert home_state.exists() == existed, "deepeval wrote its state into the home directory"


# --- reading the judge's JSON ---------------------------------------------------------------------

@pytest.fixture
def deepeval_schema(tmp_path_factory):
    """deepeval's G-Eval answer schema, deepeval imported the way gatewise imports it."""
    from gatewise.suites._deepeval_env import load_deepeval

    load_deepeval(tmp_path_factory.mktemp("deepeval"))
    from deepeval.metrics.g_eval.schema import ReasonScore

    return ReasonScore


@pytest.mark.parametrize("text", [
    '{"reason": "Fine.", "score": 7}',
    'Here is my verdict:\n```json\n{"reason": "Fine.", "score": 7}\n```',
    '{"reason": "Fine.", "score": 7,}',
], ids=["bare", "fenced-with-prose", "trailing-comma"])
def test_the_judges_json_is_read_out_of_its_text(deepeval_schema, text):
    from gatewise.suites._judge_reply import parse_reply

    assert parse_reply(text, deepeval_schema) == deepeval_schema(reason="Fine.", score=7)


@pytest.mark.parametrize("text, problem", [
    ("I'd give it a seven.", "holds no JSON"),
    ('{"reason": "Fine.", "score": }', "not valid JSON"),
    ('{"reason": "Fine."}', "does not fit deepeval's ReasonScore (bad or missing: score)"),
])
def test_an_answer_without_the_json_asked_for_is_an_error(deepeval_schema, text, problem):
    from gatewise.suites._judge_reply import JudgeOutputError, parse_reply

    with pytest.raises(JudgeOutputError, match=re.escape(problem)):
        parse_reply(text, deepeval_schema)


def test_judge_requests_stay_within_the_judges_concurrency(tmp_path, capsys, good_model):
    # deepeval's metrics run under gatewise's scheduling: the judge's semaphore bounds every call
    with StandinServer(model_id=JUDGE_MODEL, faults=Faults(latency_ms=20)) as slow_judge:
        code, _, stderr = run(capsys, gate(tmp_path, good_model, slow_judge.base_url, concurrency=3), tmp_path / "out")
        assert code == 0, stderr
        assert slow_judge.stats.completions == len(ROWS) + 1
        assert 2 <= slow_judge.stats.peak_in_flight <= 3


def judge_bodies(proxy) -> list[dict]:
    return [body for body in proxy.bodies if body.get("model") == JUDGE_MODEL]


def test_the_judge_is_asked_for_deepevals_json_schema_by_default(tmp_path, capsys, judge, good_model):
    from .recording_proxy import RecordingProxy

    with RecordingProxy(judge.root_url) as proxy:
        code, _, stderr = run(capsys, gate(tmp_path, good_model, proxy.base_url), tmp_path / "out", "--no-cache")
    assert code == 0, stderr
    bodies = judge_bodies(proxy)
    assert len(bodies) == len(ROWS) + 1  # G-Eval's steps once, then one score per row
    formats = [body["response_format"] for body in bodies]
    assert all(f["type"] == "json_schema" and f["json_schema"]["schema"]["type"] == "object" for f in formats)
    names = sorted({f["json_schema"]["name"] for f in formats})
    assert names == ["ReasonScore", "Steps"]
    score = next(f for f in formats if f["json_schema"]["name"] == "ReasonScore")["json_schema"]["schema"]
    assert score["properties"]["score"] == {"title": "Score", "type": "integer", "minimum": 0, "maximum": 10}
    assert score["properties"]["reason"]["maxLength"] <= 2 * 512


def test_g_eval_asks_for_its_steps_once_and_numbers_the_same_steps_in_every_rows_prompt(tmp_path, capsys, judge,
                                                                                       good_model):
    """The steps the judge wrote from the criteria are asked for once, then given to every row's
    metric: each row's prompt lists them, numbered, exactly as deepeval writes them itself."""
    from .recording_proxy import RecordingProxy

    with RecordingProxy(judge.root_url) as proxy:
        code, _, stderr = run(capsys, gate(tmp_path, good_model, proxy.base_url), tmp_path / "out", "--no-cache")
    assert code == 0, stderr
    bodies = judge_bodies(proxy)
    kinds = [body["response_format"]["json_schema"]["name"] for body in bodies]
    assert kinds[0] == "Steps" and kinds.count("Steps") == 1 and len(kinds) == len(ROWS) + 1
    steps = ["Read the Expected Output, if there is one, and the Actual Output.",  # the stand-in judge's own
             "Check whether the Actual Output states the same answer as the Expected Output.",
             "Give the top score only when they agree, the bottom score when they do not."]
    numbered = "\n".join(f"{i}. {step}" for i, step in enumerate(steps, start=1))
    for body in bodies[1:]:
        assert numbered in body["messages"][0]["content"]


def test_structured_output_off_sends_no_response_format(tmp_path, capsys, judge, good_model):
    from .recording_proxy import RecordingProxy

    with RecordingProxy(judge.root_url) as proxy:
        config = gate(tmp_path, good_model, proxy.base_url, structured_output=False)
        code, _, stderr = run(capsys, config, tmp_path / "out", "--no-cache")
    assert code == 0, stderr  # the stand-in judge answers JSON in its text anyway
    bodies = judge_bodies(proxy)
    assert bodies and not any("response_format" in body for body in bodies)


@pytest.mark.parametrize("max_tokens", [64, 512, 4096])
def test_the_schema_bounds_every_string_and_list_to_fit_the_judges_budget(max_tokens):
    from deepeval.metrics.answer_relevancy.schema import Verdicts
    from deepeval.metrics.g_eval.schema import ReasonScore, Steps

    from gatewise.suites._judge_schema import json_schema

    budget = max_tokens  # a token is at least one character: the strings fit the budget in all
    steps = json_schema(Steps, "Generate 3-4 concise evaluation steps", max_tokens)["properties"]["steps"]
    assert steps["maxItems"] * steps["items"]["maxLength"] <= max(budget, steps["maxItems"] * 32)
    reason_score = json_schema(ReasonScore, 'an integer between 2 and 8, based on the rubric', max_tokens)
    assert reason_score["properties"]["score"]["minimum"] == 2 and reason_score["properties"]["score"]["maximum"] == 8
    assert reason_score["properties"]["reason"]["maxLength"] <= max(budget, 32)
    verdicts = json_schema(Verdicts, "verdicts", max_tokens)
    assert "$defs" not in verdicts  # inlined, so each nested string is bounded too
    item = verdicts["properties"]["verdicts"]["items"]
    assert item["properties"]["verdict"]["enum"] == ["yes", "no", "borderline"]
    assert all(option.get("maxLength", 1) <= max(budget, 32) for option in item["properties"]["reason"]["anyOf"])


def test_a_score_schema_without_a_stated_range_is_left_as_deepeval_wrote_it():
    from deepeval.metrics.g_eval.schema import ReasonScore

    from gatewise.suites._judge_schema import json_schema

    assert json_schema(ReasonScore, "Give a score.", 512)["properties"]["score"] == {"title": "Score", "type": "number"}


@pytest.mark.parametrize("error, hint", [
    ("HTTP 400: max_tokens=1024 cannot be greater than max_model_len=512. Please request fewer output tokens. "
     "(parameter=max_tokens, value=1024)", "lower judge.max_tokens"),
    ("HTTP 400: This model's maximum context length is 512 tokens. However, you requested 1400 tokens",
     "lower judge.max_tokens"),
    ("HTTP 400: Failed to transform json schema into a grammar: unsupported", "judge.structured_output: false"),
    ("HTTP 422: response_format is not supported by this server", "judge.structured_output: false"),
    ("HTTP 503: Service Unavailable (after 5 attempts)", ""),
    ("connection error: ConnectError (after 5 attempts)", ""),
])
def test_a_refused_judge_request_names_the_setting_to_change(error, hint):
    from gatewise.config import JudgeConfig
    from gatewise.suites._judge_client import refusal_hint

    said = refusal_hint(error, JudgeConfig(base_url="http://127.0.0.1:9/v1", model="judge"))
    assert (hint in said) if hint else said == ""


def test_raw_control_characters_inside_the_judges_json_strings_are_read(deepeval_schema):
    # guided decoding constrains the JSON's structure but lets a byte-level model emit raw control bytes
    from gatewise.suites._judge_reply import parse_reply

    assert parse_reply('{"reason": "odd\x1b\x07 bytes", "score": 3}', deepeval_schema).score == 3
