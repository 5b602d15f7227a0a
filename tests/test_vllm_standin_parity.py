"""The stand-in answers as vLLM does: the same requests to the real vLLM server and to the
stand-in, compared on what a client reads (status, the body's fields, error type, param, code and
the message's opening words). The stand-in is the fast peer of most tests; this keeps it honest.
"""

from __future__ import annotations

import json
import re

import httpx
import pytest

from gatewise.standin import StandinServer

from .vllm_server import SERVED_NAME

pytestmark = [pytest.mark.vllm, pytest.mark.timeout(900)]

CHAT = {"model": SERVED_NAME, "messages": [{"role": "user", "content": "What is the capital of France?"}],
        "max_tokens": 4}
SCHEMA = {"type": "json_schema", "json_schema": {"name": "Answer", "schema": {
    "type": "object", "properties": {"answer": {"type": "string", "maxLength": 20}}, "required": ["answer"]}}}

TOOLS = [{"type": "function", "function": {"name": "capital_of", "parameters": {
    "type": "object", "properties": {"country": {"type": "string"}}, "required": ["country"]}}}]

# (name, method, path under /v1, JSON body or raw bytes)
REQUESTS = [
    ("models", "GET", "/models", None),
    ("chat", "POST", "/chat/completions", CHAT),
    ("completion", "POST", "/completions", {"model": SERVED_NAME, "prompt": "Paris is", "max_tokens": 4}),
    ("unknown-model", "POST", "/chat/completions", {**CHAT, "model": "no-such-model"}),
    ("max-tokens-zero", "POST", "/chat/completions", {**CHAT, "max_tokens": 0}),
    ("messages-not-a-list", "POST", "/chat/completions", {**CHAT, "messages": "hello"}),
    ("body-not-json", "POST", "/chat/completions", b"{not json"),
    ("format-unknown", "POST", "/chat/completions", {**CHAT, "response_format": {"type": "bogus"}}),
    ("format-without-schema", "POST", "/chat/completions", {**CHAT, "response_format": {"type": "json_schema"}}),
    ("format-json-schema", "POST", "/chat/completions", {**CHAT, "max_tokens": 32, "response_format": SCHEMA}),
    ("tools-choice-none", "POST", "/chat/completions", {**CHAT, "tools": TOOLS, "tool_choice": "none"}),
    ("tool-choice-without-tools", "POST", "/chat/completions", {**CHAT, "tool_choice": "required"}),
    ("tool-choice-bogus", "POST", "/chat/completions", {**CHAT, "tools": TOOLS, "tool_choice": "bogus"}),
    ("tools-not-a-list", "POST", "/chat/completions", {**CHAT, "tools": "x"}),
    ("tool-choice-unknown-function", "POST", "/chat/completions",
     {**CHAT, "tools": TOOLS, "tool_choice": {"type": "function", "function": {"name": "no_such_tool"}}}),
    ("unknown-route", "POST", "/no-such-route", {"input": "x"}),
    ("wrong-method", "GET", "/chat/completions", None),
]


VALIDATION = re.compile(r"^\d+ validation errors?:")
READ_FIELDS = {"id", "object", "created", "model", "choices", "usage", "data", "error", "detail"}


def ask(base_url: str, method: str, path: str, body) -> httpx.Response:
    if isinstance(body, bytes):
        return httpx.request(method, base_url + path, content=body, headers={"content-type": "application/json"},
                             timeout=120)
    return httpx.request(method, base_url + path, json=body, timeout=120)


def contract(response: httpx.Response, request) -> dict:
    """What a client reads of a response: status, top-level fields, and for errors their type,
    param, code and first words; for completions the fields of a choice and of the usage."""
    body = response.json()
    seen: dict = {"status": response.status_code, "fields": sorted(body)}
    if isinstance(body.get("error"), dict):
        error = body["error"]
        seen["error"] = {"type": error.get("type"), "param": error.get("param"), "code": error.get("code"),
                         # pydantic counts one error per variant of a union: the count is vLLM's detail
                         "opening": VALIDATION.sub("N validation errors:", _opening(error.get("message")))}
    if body.get("object") == "list":
        seen["model"] = sorted({"id", "object", "created", "owned_by", "root", "parent"} & set(body["data"][0]))
    if body.get("choices"):
        choice = body["choices"][0]
        seen["choice"] = sorted({"index", "message", "text", "logprobs", "finish_reason", "stop_reason"} & set(choice))
        if "message" in choice:  # whether a text answer carries tool_calls at all (vLLM 0.32: no)
            seen["tool_calls"] = "tool_calls" in choice["message"]
        seen["usage"] = sorted({"prompt_tokens", "completion_tokens", "total_tokens"} & set(body["usage"]))
        # the models differ, the rule does not: "length" exactly when the budget was used up
        seen["length_rule"] = (choice["finish_reason"] == "length") == \
            (body["usage"]["completion_tokens"] == request.get("max_tokens"))
    return seen


def _opening(message: object) -> str:
    return " ".join(str(message).split()[:3])


@pytest.fixture(scope="module")
def standin():
    with StandinServer(model_id=SERVED_NAME) as server:
        yield server


@pytest.mark.parametrize("name, method, path, body", REQUESTS, ids=[r[0] for r in REQUESTS])
def test_the_standin_answers_as_vllm_does(vllm_server, standin, name, method, path, body):
    request = body if isinstance(body, dict) else {}
    real = contract(ask(vllm_server.base_url, method, path, body), request)
    ours = contract(ask(standin.base_url, method, path, body), request)
    for seen in (real, ours):  # vLLM adds fields of its own (prompt_logprobs, kv_transfer_params, ...)
        seen["fields"] = sorted(set(seen["fields"]) & READ_FIELDS)
    assert ours == real


def test_guided_decoding_answers_the_schema_even_from_the_random_model(vllm_server):
    body = ask(vllm_server.base_url, "POST", "/chat/completions",
               {**CHAT, "max_tokens": 64, "response_format": SCHEMA}).json()
    answer = json.loads(body["choices"][0]["message"]["content"], strict=False)
    assert set(answer) == {"answer"} and len(answer["answer"]) <= 20


def stream_events(base_url: str, body: dict) -> list[dict]:
    events = []
    with httpx.stream("POST", base_url + "/chat/completions", json=body, timeout=120) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("data: ") and line != "data: [DONE]":
                events.append(json.loads(line.removeprefix("data: ")))
            elif line == "data: [DONE]":
                events.append({"done": True})
    return events


def stream_contract(events: list[dict]) -> dict:
    """The stream's shape: the object type, the first delta's role, the fields every choice has,
    one finish reason, ``[DONE]`` last and the usage chunk (no choices) just before it."""
    chunks = [e for e in events if "done" not in e]
    with_choices = [c for c in chunks if c["choices"]]
    return {
        "objects": sorted({c["object"] for c in chunks}),
        "first_role": with_choices[0]["choices"][0]["delta"].get("role"),
        "choice_fields": sorted(set.intersection(*(set(c["choices"][0]) for c in with_choices))
                                & {"index", "delta", "logprobs", "finish_reason"}),
        "finish_reasons": len([c for c in with_choices if c["choices"][0]["finish_reason"] is not None]),
        "done_last": events[-1] == {"done": True},
        "usage_last": chunks[-1]["choices"] == [] and set(chunks[-1]["usage"]) >=
        {"prompt_tokens", "completion_tokens", "total_tokens"},
    }


def test_the_standin_streams_as_vllm_does(vllm_server, standin):
    body = {**CHAT, "stream": True, "stream_options": {"include_usage": True}}
    assert stream_contract(stream_events(standin.base_url, body)) == \
        stream_contract(stream_events(vllm_server.base_url, body))
