"""Tool calls: a row offers tools, the endpoint is asked with them (vLLM's tool calling), the
answer's calls are recorded, and the tool_calls suite scores them against the expected calls and
the tools' JSON schemas. Against the stand-in, which answers calls as vLLM does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gatewise.config._dialogue import ToolCallsConfig
from gatewise.config import SuiteConfig
from gatewise.samples import Sample, ToolCall
from gatewise.scores import Score
from gatewise.standin import StandinServer, load_answer_table
from gatewise.suites._tool_calls import score_tool_calls

from .conftest import gate_cli_run, gate_results, write_dataset
from .recording_proxy import RecordingProxy

EXAMPLE = Path(__file__).resolve().parents[1] / "quality" / "tools" / "gate.yaml"
EXAMPLE_DATA = EXAMPLE.parent / "data" / "tools.jsonl"


@pytest.fixture(scope="module")
def table() -> dict[str, str]:
    return load_answer_table(EXAMPLE_DATA)


@pytest.fixture(scope="module")
def caller(table):
    """A model that calls the right tools with the right arguments."""
    with StandinServer(table) as server:
        yield server


def run_example(capsys, monkeypatch, tmp_path, base_url, *flags):
    monkeypatch.setenv("GATEWISE_ENDPOINT_URL", base_url)
    out = tmp_path / "out"
    code, stdout, stderr = gate_cli_run(capsys, EXAMPLE, out, *flags)
    return code, stdout + stderr, out


def test_the_example_tool_gate_passes_a_model_that_calls_the_right_tools(capsys, monkeypatch, tmp_path, caller):
    code, text, out = run_example(capsys, monkeypatch, tmp_path, caller.base_url)
    assert code == 0, text
    rows = {row["row_id"]: row for row in gate_results(out)}
    assert len(rows) == 12
    weather = rows["w4"]
    assert [call["name"] for call in weather["tool_calls"]] == ["get_weather", "get_weather"]
    assert [json.loads(call["arguments"]) for call in weather["tool_calls"]] == [{"city": "Rome"}, {"city": "Madrid"}]
    assert all(call["id"].startswith("chatcmpl-tool-") for call in weather["tool_calls"])
    assert weather["finish_reason"] == "tool_calls"
    # a calls-only answer reads as the calls in every report
    assert weather["output"] == 'get_weather({"city": "Rome"})\nget_weather({"city": "Madrid"})'
    assert rows["t1"]["tool_calls"] == [] and rows["t1"]["output"] == "You're welcome, have a good day!"
    assert {name: score["passed"] for name, score in weather["scores"].items()} == {
        "tools.tool": True, "tools.arguments": True, "tools.schema": True}
    result = json.loads((out / "gate-result.json").read_text())
    assert {t["metric"]: t["passed"] for t in result["thresholds"]} == {
        "errors": True, "tools": True, "tools.schema": True, "latency_ms": True}
    assert result["counts"]["tool_calls"] == 11 and result["counts"]["turns"] == 12
    assert "11 tool calls" in (out / "summary.md").read_text()
    # gatewise publish re-reads the run: the calls survive the round trip through results.jsonl
    from gatewise.publish import load_gate_run

    again = {s.row_id: s for s in load_gate_run(out).result.samples}
    assert [c.name for c in again["w4"].tool_calls] == ["get_weather", "get_weather"]
    assert again["w4"].to_dict()["tool_calls"] == weather["tool_calls"]


def test_a_model_that_calls_the_wrong_tools_fails_the_gate_and_says_why(capsys, monkeypatch, tmp_path, table):
    with StandinServer(table, quality=0.5, seed=1) as poor:
        code, text, out = run_example(capsys, monkeypatch, tmp_path, poor.base_url)
    assert code == 1, text
    failed = [row for row in gate_results(out) if not row["scores"]["tools.tool"]["passed"]]
    assert failed, "a half-right model got every row right"
    reasons = [row["scores"]["tools.tool"]["reason"] for row in failed]
    assert all(reason.startswith("expected ") and "; called " in reason for reason in reasons), reasons
    summary = (out / "summary.md").read_text()
    assert "**Why (`tools.tool`):** expected " in summary  # the failing rows say what was expected


def test_the_request_offers_the_rows_tools_with_its_tool_choice(capsys, tmp_path, caller):
    rows = [json.loads(line) for line in EXAMPLE_DATA.read_text().splitlines()][:3]
    for choice, sent in (("auto", "auto"), ("required", "required"),
                         ("get_weather", {"type": "function", "function": {"name": "get_weather"}})):
        with RecordingProxy(caller.root_url) as proxy:
            config = _tool_gate(tmp_path, proxy.base_url, rows, f"tool_choice: {choice}")
            code, stdout, stderr = gate_cli_run(capsys, config, tmp_path / f"out-{choice}")
        assert code in (0, 1), stdout + stderr
        chats = [body for body in proxy.bodies if "messages" in body]
        assert len(chats) == 3
        for body in chats:
            row = next(r for r in rows if r["question"] in body["messages"][-1]["content"])
            assert body["tools"] == row["tools"]
            assert body["tool_choice"] == sent


def test_tool_choice_none_gets_text_and_fails_the_tool_check(capsys, tmp_path, caller):
    rows = [json.loads(line) for line in EXAMPLE_DATA.read_text().splitlines()][:4]
    config = _tool_gate(tmp_path, caller.base_url, rows, "tool_choice: none")
    code, stdout, stderr = gate_cli_run(capsys, config, tmp_path / "out")
    assert code == 1, stdout + stderr
    results = gate_results(tmp_path / "out")
    assert all(row["tool_calls"] == [] for row in results)
    assert all(row["scores"]["tools.tool"]["reason"].endswith("called no tool (a text answer)") for row in results)


def test_arguments_that_break_the_tools_schema_fail_the_schema_check(capsys, tmp_path):
    rows = [json.loads(line) for line in EXAMPLE_DATA.read_text().splitlines()][:3]
    wrong = {rows[0]["question"]: json.dumps([{"name": "get_weather", "arguments": {"city": "Paris", "unit": "kelvin"}}]),
             rows[1]["question"]: json.dumps([{"name": "get_weather", "arguments": '{"city": "Oslo", '}]),
             rows[2]["question"]: json.dumps([{"name": "get_forecast", "arguments": {"city": "London"}}])}
    with StandinServer(wrong) as server:
        config = _tool_gate(tmp_path, server.base_url, rows, "tool_choice: auto")
        code, stdout, stderr = gate_cli_run(capsys, config, tmp_path / "out")
    assert code == 1, stdout + stderr
    schema = {row["row_id"]: row["scores"]["tools.schema"] for row in gate_results(tmp_path / "out")}
    assert not any(score["passed"] for score in schema.values())
    assert "unit: 'kelvin' is not one of ['celsius', 'fahrenheit']" in schema["w1"]["reason"]
    assert "get_weather: arguments are not a JSON object" in schema["w2"]["reason"]
    assert "get_forecast is not one of the tools offered" in schema["w3"]["reason"]


def test_cached_tool_calls_replay_with_their_calls(capsys, tmp_path, caller):
    rows = [json.loads(line) for line in EXAMPLE_DATA.read_text().splitlines()][:4]
    config = _tool_gate(tmp_path, caller.base_url, rows, "tool_choice: auto")
    assert gate_cli_run(capsys, config, tmp_path / "first", "--cache")[0] == 0
    before = caller.stats.completions
    assert gate_cli_run(capsys, config, tmp_path / "again", "--cache")[0] == 0
    assert caller.stats.completions == before
    again = gate_results(tmp_path / "again")
    assert all(row["cached"] for row in again)
    assert [c["name"] for c in again[0]["tool_calls"]] == ["get_weather"]


def test_a_results_line_reads_back_as_the_sample_it_was_written_from(tmp_path):
    """resume, merge and publish read results.jsonl through one reader that keeps every field."""
    from gatewise.pipeline._rundir import read_rows, rewrite_answers
    from gatewise.publish._load import _rows
    from gatewise.samples import Message

    call = {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
    messages = (Message("user", "weather?"), Message("assistant", None, {"tool_calls": [call]}),
                Message("tool", [{"type": "text", "text": "sunny"}], {"tool_call_id": "c1"}))
    sample = Sample("r1", {"q": "weather?"}, messages, "get_weather({})", repeat=1, attempts=0, cached=True,
                    finish_reason="tool_calls", tool_calls=(ToolCall("get_weather", "{}", "c2"),), turns=2)
    judged = (Score("r1", "judge.g-eval", 0.5, False, 1, None, "because", "judge-model"),)
    rewrite_answers(tmp_path, [sample], {("r1", 1): judged})
    samples, scores, _ = read_rows(tmp_path / "results.jsonl", frozenset({"judge"}))
    assert samples == [sample] and scores == {("r1", 1): judged}
    assert _rows(tmp_path / "results.jsonl")[:2] == ([sample], list(judged))


def test_a_resumed_tool_gate_keeps_each_answers_calls(capsys, monkeypatch, tmp_path, caller):
    """--resume reads the kept answers back with their tool calls, so it decides as the run did."""
    code, text, out = run_example(capsys, monkeypatch, tmp_path, caller.base_url)
    assert code == 0, text
    before = (out / "results.jsonl").read_text(encoding="utf-8")
    asked = caller.stats.completions
    code, stdout, stderr = gate_cli_run(capsys, EXAMPLE, out, "--resume")
    assert code == 0, stdout + stderr
    assert caller.stats.completions == asked, "every answer was kept"
    assert (out / "results.jsonl").read_text(encoding="utf-8") == before


def test_a_sharded_tool_gate_merges_to_one_runs_results(capsys, monkeypatch, tmp_path, caller):
    """Merge reads each shard's answers with their tool calls: the same results.jsonl and counts."""
    from gatewise.cli import main

    cache = ("--cache", "--cache-dir", str(tmp_path / "cache"))
    assert run_example(capsys, monkeypatch, tmp_path, caller.base_url, *cache)[0] == 0  # answers cached once
    whole = tmp_path / "whole"
    assert main(["gate", "--config", str(EXAMPLE), "--out", str(whole), *cache]) == 0
    shards = [tmp_path / f"shard-{k}" for k in (1, 2)]
    for k, shard in enumerate(shards, start=1):
        assert main(["gate", "--config", str(EXAMPLE), "--shard", f"{k}/2", "--out", str(shard), *cache]) == 0
    merged = tmp_path / "merged"
    assert main(["merge", *map(str, shards), "--out", str(merged)]) == 0
    capsys.readouterr()
    assert (merged / "results.jsonl").read_text() == (whole / "results.jsonl").read_text()
    counts = [json.loads((d / "gate-result.json").read_text())["counts"] for d in (whole, merged)]
    assert counts[0]["tool_calls"] > 0 and counts[0] == counts[1]


def test_validate_counts_each_tool_call_check(capsys, monkeypatch):
    """The example's tool_calls suite scores .tool, .arguments and .schema: three checks, one suite."""
    from gatewise.cli import main

    monkeypatch.setenv("GATEWISE_ENDPOINT_URL", "http://127.0.0.1:9/v1")  # validate calls nothing
    assert main(["validate", "--config", str(EXAMPLE)]) == 0
    assert "12 rows (sha256 f1ceab4b3da5…), 1 suite, 3 checks, 3 thresholds;" in capsys.readouterr().out


def _tool_gate(directory: Path, base_url: str, rows: list[dict], choice_line: str) -> Path:
    import hashlib

    data = write_dataset(directory, rows)
    config = directory / "gate.yaml"
    config.write_text(f"""endpoint: {{ base_url: {base_url}, model: standin-model, concurrency: 4, max_retries: 0 }}
prompt:
  user: "{{question}}"
  tools: tools
  {choice_line}
dataset: {{ path: {data.name}, sha256: "{hashlib.sha256(data.read_bytes()).hexdigest()}" }}
suites:
  - name: tools
    tool_calls: {{ expected: expected_calls }}
thresholds:
  tools: {{ pass_rate: ">= 1.0" }}
""")
    return config


# -- the checks, on samples ------------------------------------------------------------------------

TOOLS = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {
    "x": {"type": "integer"}, "y": {"type": "string"}}, "required": ["x"]}}},
    {"type": "function", "function": {"name": "g"}}]


def _scores(expected, calls, **settings):
    suite = SuiteConfig(name="t", tool_calls=ToolCallsConfig(expected="want", tools="tools", **settings))
    sample = Sample("r", {"want": expected, "tools": TOOLS}, (), output="text",
                    tool_calls=tuple(ToolCall(name, args) for name, args in calls))
    return {score.metric.split(".", 1)[1]: score for score in score_tool_calls([sample], [suite])}


def test_calls_in_another_order_pass_unless_order_is_asked_for():
    expected = [{"name": "f", "arguments": {"x": 1}}, {"name": "g", "arguments": {}}]
    calls = [("g", "{}"), ("f", '{"x": 1}')]
    assert all(score.passed for score in _scores(expected, calls).values())
    ordered = _scores(expected, calls, order=True)
    assert not ordered["tool"].passed and "in this order" in ordered["tool"].reason
    assert not ordered["arguments"].passed


def test_subset_allows_extra_arguments_exact_does_not():
    expected = [{"name": "f", "arguments": {"x": 1}}]
    calls = [("f", '{"x": 1, "y": "more"}')]
    assert _scores(expected, calls, arguments="subset")["arguments"].passed
    exact = _scores(expected, calls)["arguments"]
    assert not exact.passed and 'expected arguments {"x": 1}' in exact.reason


def test_an_extra_call_fails_tool_and_arguments():
    scores = _scores([{"name": "f", "arguments": {"x": 1}}], [("f", '{"x": 1}'), ("g", "{}")])
    assert not scores["tool"].passed and not scores["arguments"].passed
    assert "unexpected call of g" in scores["arguments"].reason
    assert scores["arguments"].value == 0.5


def test_no_call_expected_and_none_made_passes():
    scores = _scores([], [])
    assert all(score.passed and score.value == 1.0 for score in scores.values())


def test_expected_arguments_left_out_match_any_arguments():
    assert _scores([{"name": "f"}], [("f", '{"x": 2}')])["arguments"].passed


def test_a_row_whose_call_failed_is_an_error_on_every_check():
    suite = SuiteConfig(name="t", tool_calls=ToolCallsConfig(expected="want", tools="tools"))
    failed = Sample("r", {"want": [], "tools": TOOLS}, (), output=None, error="HTTP 500: boom")
    scores = score_tool_calls([failed], [suite])
    assert [s.metric for s in scores] == ["t.tool", "t.arguments", "t.schema"]
    assert all(not s.passed and s.error == "no output: HTTP 500: boom" for s in scores)


def test_the_score_cache_tells_apart_answers_that_differ_only_in_their_calls():
    from gatewise import score_cache

    suite = SuiteConfig(name="t", tool_calls=ToolCallsConfig(expected="want", tools="tools"))

    def key(arguments: str) -> str:
        sample = Sample("r", {"want": [], "tools": TOOLS}, (), output="Calling f now.",
                        tool_calls=(ToolCall("f", arguments),))
        return score_cache.score_key([sample], [suite])

    assert key('{"x": 1}') != key('{"x": 2}')
    assert key('{"x": 1}') == key('{"x": 1}')
