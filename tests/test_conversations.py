"""Conversations: a row's chat messages sent as they are, or its user turns answered one call per
turn (a simulated conversation), recorded whole, and judged by deepeval's conversational metrics
(the stand-in judge answers their prompts) or the tool-correctness metric."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from gatewise.standin import Faults, StandinServer, load_answer_table

from .conftest import JUDGE_MODEL, gate_cli_run, gate_results, write_dataset
from .recording_proxy import RecordingProxy

EXAMPLE = Path(__file__).resolve().parents[1] / "quality" / "conversation" / "gate.yaml"
EXAMPLE_DATA = EXAMPLE.parent / "data" / "conversations.jsonl"
ROWS = [json.loads(line) for line in EXAMPLE_DATA.read_text().splitlines()]


@pytest.fixture(scope="module")
def table() -> dict[str, str]:
    return load_answer_table(EXAMPLE_DATA, "turns", "replies")


@pytest.fixture(scope="module")
def assistant(table):
    """A model that answers every turn with the reference reply."""
    with StandinServer(table) as server:
        yield server


def run_example(capsys, monkeypatch, out: Path, model: str, judge: str) -> tuple[int, str]:
    monkeypatch.setenv("GATEWISE_ENDPOINT_URL", model)
    monkeypatch.setenv("GATEWISE_JUDGE_URL", judge)
    monkeypatch.setenv("GATEWISE_JUDGE_MODEL", JUDGE_MODEL)
    code, stdout, stderr = gate_cli_run(capsys, EXAMPLE, out)
    return code, stdout + stderr


def test_the_example_conversation_gate_passes_a_model_that_follows_the_conversation(
        capsys, monkeypatch, tmp_path, assistant, judge):
    code, text = run_example(capsys, monkeypatch, tmp_path / "out", assistant.base_url, judge.base_url)
    assert code == 0, text
    results = {row["row_id"]: row for row in gate_results(tmp_path / "out")}
    oslo = results["trip-oslo"]
    assert oslo["turns"] == 3
    # the whole conversation: system, every user turn, every earlier answer; the last answer is the output
    assert [(m["role"], m["content"]) for m in oslo["messages"]] == [
        ("system", "You are a friendly, concise support assistant. Remember what the user told you."),
        ("user", ROWS[0]["turns"][0]), ("assistant", ROWS[0]["replies"][0]),
        ("user", ROWS[0]["turns"][1]), ("assistant", ROWS[0]["replies"][1]),
        ("user", ROWS[0]["turns"][2])]
    assert oslo["output"] == ROWS[0]["replies"][2]
    assert {name: score["value"] for name, score in oslo["scores"].items() if name != "final_answer.ExactMatch"} == {
        "relevancy.turn-relevancy": 1.0, "retention.knowledge-retention": 1.0,
        "completeness.conversation-completeness": 1.0, "in_role.role-adherence": 1.0,
        "helpful.conversational-g-eval": 1.0}
    assert all(score["judge_model"] == JUDGE_MODEL for name, score in oslo["scores"].items()
               if name != "final_answer.ExactMatch")
    result = json.loads((tmp_path / "out" / "gate-result.json").read_text())
    assert result["counts"]["turns"] == 18 and result["counts"]["samples"] == 6
    assert "18 conversation turns" in (tmp_path / "out" / "summary.md").read_text()


def test_a_model_that_loses_the_thread_fails_the_conversational_suites(capsys, monkeypatch, tmp_path, table, judge):
    # the second turn of two conversations gets another conversation's reply, the third an "I am not sure."
    lost = dict(table)
    lost[ROWS[0]["turns"][1]] = ROWS[3]["replies"][0]
    lost[ROWS[2]["turns"][2]] = "I am not sure."
    with StandinServer(lost) as model:
        code, text = run_example(capsys, monkeypatch, tmp_path / "out", model.base_url, judge.base_url)
    assert code == 1, text
    results = {row["row_id"]: row["scores"] for row in gate_results(tmp_path / "out")}
    oslo, refund = results["trip-oslo"], results["refund"]
    assert oslo["completeness.conversation-completeness"]["value"] == pytest.approx(2 / 3)
    assert oslo["helpful.conversational-g-eval"]["passed"] is False
    assert oslo["retention.knowledge-retention"]["value"] == 1.0  # off topic, but it forgot nothing
    assert refund["relevancy.turn-relevancy"]["value"] == pytest.approx(2 / 3)
    assert refund["retention.knowledge-retention"]["value"] == pytest.approx(2 / 3)
    assert refund["in_role.role-adherence"]["value"] < 1.0
    assert all(scores["relevancy.turn-relevancy"]["value"] == 1.0 for row, scores in results.items()
               if row not in ("trip-oslo", "refund"))


def test_each_turn_is_sent_with_every_earlier_turn_and_answer(capsys, tmp_path, assistant):
    rows = ROWS[:2]
    with RecordingProxy(assistant.root_url) as proxy:
        config = _gate(tmp_path, proxy.base_url, rows, "turns: turns")
        code, stdout, stderr = gate_cli_run(capsys, config, tmp_path / "out")
    assert code == 0, stdout + stderr
    sent = [[(m["role"], m["content"]) for m in body["messages"]] for body in proxy.bodies if "messages" in body]
    assert len(sent) == 6  # three calls per conversation
    turns, replies = rows[1]["turns"], rows[1]["replies"]
    assert [("system", "Be brief."), ("user", turns[0])] in sent
    assert [("system", "Be brief."), ("user", turns[0]), ("assistant", replies[0]), ("user", turns[1])] in sent
    assert [("system", "Be brief."), ("user", turns[0]), ("assistant", replies[0]), ("user", turns[1]),
            ("assistant", replies[1]), ("user", turns[2])] in sent
    for row in gate_results(tmp_path / "out"):
        assert row["turns"] == 3 and row["attempts"] == 3
        assert row["prompt_tokens"] > 0 and row["completion_tokens"] > 0


def test_a_turn_whose_call_failed_makes_the_row_an_error_that_names_the_turn(capsys, tmp_path, table):
    with StandinServer(table, faults=Faults(error_rate=0.3, seed=5)) as flaky:
        config = _gate(tmp_path, flaky.base_url, ROWS, "turns: turns", max_errors=0)
        code, stdout, stderr = gate_cli_run(capsys, config, tmp_path / "out")
    results = gate_results(tmp_path / "out")
    errored = [row for row in results if row["error"] is not None]
    assert errored and len(errored) < len(results), "the fault dice should fail some conversations, not all"
    assert code == 1, stdout + stderr  # errors count against the gate: never a pass
    for row in errored:
        assert row["error"].startswith(("turn 1 of 3: HTTP 50", "turn 2 of 3: HTTP 50", "turn 3 of 3: HTTP 50"))
        assert row["output"] is None
        assert row["scores"]["final.ExactMatch"]["passed"] is False


def test_messages_rows_are_sent_as_they_are_tool_results_included(capsys, tmp_path):
    history = [
        {"role": "user", "content": "What's the weather in Paris?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call-1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]},
        {"role": "tool", "tool_call_id": "call-1", "content": '{"paris_temperature_c": 21}'},
    ]
    rows = [{"id": "paris", "history": history, "final": "It is 21 degrees in Paris."}]
    with StandinServer({'{"paris_temperature_c": 21}': "It is 21 degrees in Paris."}) as model, \
            RecordingProxy(model.root_url) as proxy:
        config = _gate(tmp_path, proxy.base_url, rows, "messages: history")
        code, stdout, stderr = gate_cli_run(capsys, config, tmp_path / "out")
    assert code == 0, stdout + stderr
    (body,) = [body for body in proxy.bodies if "messages" in body]
    assert body["messages"] == [{"role": "system", "content": "Be brief."}, *history]
    (row,) = gate_results(tmp_path / "out")
    assert row["messages"] == body["messages"] and row["output"] == "It is 21 degrees in Paris."
    from gatewise.publish import load_gate_run

    (sample,) = load_gate_run(tmp_path / "out").result.samples
    assert [m.to_dict() for m in sample.messages] == body["messages"]  # null content and tool_calls kept


def test_a_cached_conversation_replays_every_turn_without_a_call(capsys, tmp_path, assistant):
    config = _gate(tmp_path, assistant.base_url, ROWS[:2], "turns: turns")
    assert gate_cli_run(capsys, config, tmp_path / "first", "--cache")[0] == 0
    before = assistant.stats.completions
    assert gate_cli_run(capsys, config, tmp_path / "again", "--cache")[0] == 0
    assert assistant.stats.completions == before
    assert all(row["cached"] and row["turns"] == 3 for row in gate_results(tmp_path / "again"))


def test_tool_correctness_compares_the_called_tools_without_asking_the_judge(capsys, tmp_path, judge):
    tools_data = EXAMPLE.parents[1] / "tools" / "data" / "tools.jsonl"
    rows = [json.loads(line) for line in tools_data.read_text().splitlines()][:4]
    answers = load_answer_table(tools_data)
    answers[rows[3]["question"]] = json.dumps([{"name": "get_weather", "arguments": {"city": "Rome"}}])
    data = write_dataset(tmp_path, rows)
    config = tmp_path / "gate.yaml"
    with StandinServer(answers) as model:
        config.write_text(f"""endpoint: {{ base_url: {model.base_url}, model: standin-model, concurrency: 4 }}
judge: {{ base_url: {judge.base_url}, model: {JUDGE_MODEL} }}
prompt: {{ user: "{{question}}", tools: tools }}
dataset: {{ path: {data.name}, sha256: "{hashlib.sha256(data.read_bytes()).hexdigest()}" }}
suites:
  - name: tools
    judge: {{ metric: tool-correctness, threshold: 1.0, columns: {{ expected_tools: expected_calls }} }}
thresholds:
  tools: {{ pass_rate: ">= 0.75" }}
""")
        judge_before = judge.stats.completions
        code, stdout, stderr = gate_cli_run(capsys, config, tmp_path / "out")
    assert code == 0, stdout + stderr
    assert judge.stats.completions == judge_before  # deterministic: no judge prompt
    scores = {row["row_id"]: row["scores"]["tools.tool-correctness"] for row in gate_results(tmp_path / "out")}
    assert [scores[r]["value"] for r in ("w1", "w2", "w3")] == [1.0, 1.0, 1.0]
    assert scores["w4"]["value"] == 0.5 and scores["w4"]["passed"] is False
    assert "get_weather" in scores["w4"]["reason"]


def _gate(directory: Path, base_url: str, rows: list[dict], source: str, max_errors: int = 0) -> Path:
    data = write_dataset(directory, rows)
    config = directory / "gate.yaml"
    config.write_text(f"""endpoint: {{ base_url: {base_url}, model: standin-model, concurrency: 4, max_retries: 0 }}
prompt:
  system: "Be brief."
  {source}
dataset: {{ path: {data.name}, sha256: "{hashlib.sha256(data.read_bytes()).hexdigest()}" }}
suites:
  - name: final
    evidently:
      - {{ descriptor: ExactMatch, expected: final }}
thresholds:
  final: {{ pass_rate: ">= 1.0" }}
max_errors: {max_errors}
""")
    return config


def test_a_conversational_g_eval_rubric_reaches_the_judge(capsys, tmp_path, assistant, judge):
    data = write_dataset(tmp_path, ROWS[:2])
    config = tmp_path / "gate.yaml"
    config.write_text(f"""endpoint: {{ base_url: {assistant.base_url}, model: standin-model, concurrency: 4 }}
judge: {{ base_url: {judge.base_url}, model: {JUDGE_MODEL} }}
prompt: {{ turns: turns }}
dataset: {{ path: {data.name}, sha256: "{hashlib.sha256(data.read_bytes()).hexdigest()}" }}
suites:
  - name: helpful
    judge:
      metric: conversational-g-eval
      criteria: "Every answer helps."
      rubric:
        - {{ score_range: [0, 4], expected_outcome: "an assistant turn that ignores the user" }}
        - {{ score_range: [5, 10], expected_outcome: "every turn answers the user" }}
thresholds:
  helpful: {{ pass_rate: ">= 1.0" }}
""")
    with RecordingProxy(judge.root_url) as proxy:
        config.write_text(config.read_text().replace(judge.base_url, proxy.base_url))
        code, stdout, stderr = gate_cli_run(capsys, config, tmp_path / "out")
    assert code == 0, stdout + stderr
    prompts = [body["messages"][-1]["content"] for body in proxy.bodies if "messages" in body]
    assert any("every turn answers the user" in prompt for prompt in prompts)
