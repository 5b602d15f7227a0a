"""The stand-in OpenAI-compatible endpoint: what the official client sees, and every fault it injects."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator

import httpx
import openai
import pytest

from gatewise.errors import DatasetError
from gatewise.standin import Faults, StandinServer, load_answer_table, main

QA = {f"What is the capital of country number {i}?": f"City {i}" for i in range(100)}
QUESTION, ANSWER = next(iter(QA.items()))
MODEL = "standin-model"


def client(base_url: str, **options) -> openai.OpenAI:
    options = {"api_key": "x", "max_retries": 0, "timeout": 10, **options}
    return openai.OpenAI(base_url=base_url, **options)


def ask(api: openai.OpenAI, question: str = QUESTION) -> str | None:
    reply = api.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": f"Question: {question}\nAnswer:"}])
    return reply.choices[0].message.content


def chat_payload(question: str = QUESTION, **extra) -> dict:
    return {"model": MODEL, "messages": [{"role": "user", "content": question}], **extra}


@pytest.fixture(scope="module")
def healthy() -> Iterator[StandinServer]:
    with StandinServer(QA) as server:
        yield server


@pytest.fixture
def faulty() -> Iterator[StandinServer]:
    """A server of its own, so a test can set faults without disturbing the others."""
    with StandinServer(QA) as server:
        yield server


# --- OpenAI's API, as the official client parses it ---------------------------------------


def test_chat_completion_parses_with_the_official_client(healthy: StandinServer) -> None:
    reply = client(healthy.base_url).chat.completions.create(
        model=MODEL, messages=[{"role": "system", "content": "Be brief."},
                               {"role": "user", "content": f"Question: {QUESTION}\nAnswer:"}])
    assert reply.object == "chat.completion" and reply.id.startswith("chatcmpl-")
    assert reply.model == MODEL and reply.created > 0
    choice = reply.choices[0]
    assert (choice.index, choice.message.role, choice.message.content, choice.finish_reason) == \
        (0, "assistant", ANSWER, "stop")
    assert reply.usage is not None
    assert reply.usage.prompt_tokens == 2 + len(QUESTION.split()) + 2
    assert reply.usage.completion_tokens == 2
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + 2


def test_completion_parses_with_the_official_client(healthy: StandinServer) -> None:
    reply = client(healthy.base_url).completions.create(model=MODEL, prompt=f"Q: {QUESTION}\nA:")
    assert reply.object == "text_completion"
    assert (reply.choices[0].text, reply.choices[0].finish_reason) == (ANSWER, "stop")
    assert reply.usage is not None and reply.usage.completion_tokens == 2


def test_completion_answers_each_prompt_of_a_batch(healthy: StandinServer) -> None:
    questions = list(QA)[:3]
    reply = client(healthy.base_url).completions.create(model=MODEL, prompt=questions)
    assert [c.text for c in sorted(reply.choices, key=lambda c: c.index)] == [QA[q] for q in questions]


def test_streamed_chat_parses_and_joins_to_the_answer(healthy: StandinServer) -> None:
    long_answer = "The answer is a sentence of several words."
    with StandinServer({QUESTION: long_answer}) as server:
        chunks = list(client(server.base_url).chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": QUESTION}], stream=True,
            stream_options={"include_usage": True}))
    assert chunks[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == long_answer
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == len(long_answer.split())
    assert all(c.object == "chat.completion.chunk" and c.id == chunks[0].id for c in chunks)


def test_streamed_completion_parses(healthy: StandinServer) -> None:
    chunks = list(client(healthy.base_url).completions.create(model=MODEL, prompt=QUESTION, stream=True))
    assert "".join(c.choices[0].text for c in chunks) == ANSWER
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_stream_is_server_sent_events_ending_in_done(healthy: StandinServer) -> None:
    response = httpx.post(healthy.base_url + "/chat/completions", json=chat_payload(stream=True))
    assert response.headers["content-type"].startswith("text/event-stream")
    events = [block for block in response.text.split("\n\n") if block]
    assert all(block.startswith("data: ") for block in events)
    assert events[-1] == "data: [DONE]"
    json.loads(events[0].removeprefix("data: "))


def test_kserve_path_prefix_serves_the_same_api(healthy: StandinServer) -> None:
    assert healthy.kserve_base_url.endswith("/openai/v1")
    assert ask(client(healthy.kserve_base_url)) == ANSWER
    kserve = client(healthy.kserve_base_url)
    assert kserve.completions.create(model=MODEL, prompt=QUESTION).choices[0].text == ANSWER
    assert [m.id for m in kserve.models.list()] == [MODEL]


def test_models_lists_the_served_model_names() -> None:
    with StandinServer(QA, model_id="llama-3-8b", served_model_names=["llama-3-8b", "llama"]) as server:
        models = list(client(server.base_url).models.list())
        assert [m.id for m in models] == ["llama-3-8b", "llama"]
        assert all(m.object == "model" for m in models)
        reply = client(server.base_url).chat.completions.create(
            model="llama", messages=[{"role": "user", "content": QUESTION}])
        assert reply.model == "llama-3-8b"


def test_unknown_model_is_404_as_vllm_answers_it(healthy: StandinServer) -> None:
    with pytest.raises(openai.NotFoundError, match=r"The model `gpt-4` does not exist\. Valid aliases: "):
        client(healthy.base_url).chat.completions.create(
            model="gpt-4", messages=[{"role": "user", "content": QUESTION}])


def test_unknown_route_is_404_as_vllms_router_answers_it(healthy: StandinServer) -> None:
    response = httpx.post(healthy.base_url + "/embeddings", json={"input": "x"})
    assert response.status_code == 404 and response.json() == {"detail": "Not Found"}


def test_bad_request_body_is_400(healthy: StandinServer) -> None:
    response = httpx.post(healthy.base_url + "/chat/completions", content=b"{not json",
                          headers={"content-type": "application/json"})
    assert response.status_code == 400 and response.json()["error"]["type"] == "Bad Request"  # vLLM's pydantic check
    with pytest.raises(openai.BadRequestError):
        client(healthy.base_url).chat.completions.create(model=MODEL, messages=[])


def test_health_answers_200(healthy: StandinServer) -> None:
    assert httpx.get(healthy.root_url + "/health").status_code == 200


def test_raw_chat_response_has_exactly_openais_fields(healthy: StandinServer) -> None:
    body = httpx.post(healthy.base_url + "/chat/completions", json=chat_payload()).json()
    assert {"id", "object", "created", "model", "choices", "usage"} <= set(body)
    assert set(body["choices"][0]) >= {"index", "message", "finish_reason"}
    assert body["choices"][0]["message"] == {"role": "assistant", "content": ANSWER, "refusal": None}
    assert set(body["usage"]) == {"prompt_tokens", "completion_tokens", "total_tokens"}


def test_connection_is_kept_alive_between_requests(healthy: StandinServer) -> None:
    with httpx.Client() as http:
        first = http.post(healthy.base_url + "/chat/completions", json=chat_payload())
        second = http.post(healthy.base_url + "/chat/completions", json=chat_payload())
    assert first.headers["connection"] == second.headers["connection"] == "keep-alive"
    assert first.json()["choices"][0]["message"]["content"] == second.json()["choices"][0]["message"]["content"]


# --- API key ----------------------------------------------------------------------------


def test_api_key_is_required_when_configured() -> None:
    with StandinServer(QA, api_key="s3cret") as server:
        with pytest.raises(openai.AuthenticationError):
            ask(client(server.base_url, api_key="wrong"))
        assert httpx.get(server.base_url + "/models").status_code == 401
        assert ask(client(server.base_url, api_key="s3cret")) == ANSWER
        assert httpx.get(server.root_url + "/health").status_code == 200


# --- the deterministic model --------------------------------------------------------------


def test_quality_one_gives_every_reference_answer(healthy: StandinServer) -> None:
    api = client(healthy.base_url)
    assert {q: ask(api, q) for q in QA} == QA


def test_quality_half_answers_about_half_right_the_same_way_every_run() -> None:
    runs = []
    for _ in range(2):
        with StandinServer(QA, quality=0.5, seed=7) as server:
            api = client(server.base_url)
            runs.append({q: ask(api, q) for q in QA})
    assert runs[0] == runs[1]
    right = sum(runs[0][q] == a for q, a in QA.items())
    assert 30 <= right <= 70
    assert all(answer for answer in runs[0].values())


def test_seed_changes_which_questions_are_answered_right() -> None:
    answers = []
    for seed in (1, 2):
        with StandinServer(QA, quality=0.5, seed=seed) as server:
            api = client(server.base_url)
            answers.append({q for q in QA if ask(api, q) == QA[q]})
    assert answers[0] != answers[1]


def test_longest_known_question_in_the_prompt_wins() -> None:
    table = {"What is 2+2?": "4", "Hard mode. What is 2+2? Show your work.": "2+2 = 4"}
    with StandinServer(table) as server:
        api = client(server.base_url)
        assert ask(api, "Hard mode. What is 2+2? Show your work.") == "2+2 = 4"
        assert ask(api, "Quickly: What is 2+2?") == "4"


def test_question_is_taken_from_the_last_user_message(healthy: StandinServer) -> None:
    second = list(QA)[1]
    reply = client(healthy.base_url).chat.completions.create(model=MODEL, messages=[
        {"role": "user", "content": QUESTION}, {"role": "assistant", "content": ANSWER},
        {"role": "user", "content": [{"type": "text", "text": second}]}])
    assert reply.choices[0].message.content == QA[second]


def test_unknown_question_gets_the_fallback_answer(healthy: StandinServer) -> None:
    api = client(healthy.base_url)
    first, second = ask(api, "Why is the sky blue?"), ask(api, "What is love?")
    assert first == second == "I am not sure."


def test_json_answer_format_wraps_the_answer() -> None:
    with StandinServer(QA, answer_format="json") as server:
        assert json.loads(ask(client(server.base_url)) or "") == {"answer": ANSWER}


def test_max_tokens_cuts_the_answer_with_finish_reason_length() -> None:
    with StandinServer({QUESTION: "one two three four five"}) as server:
        reply = client(server.base_url).chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": QUESTION}], max_tokens=2)
    assert (reply.choices[0].message.content, reply.choices[0].finish_reason) == ("one two", "length")


def test_answer_table_loads_from_jsonl_columns(tmp_path: Path) -> None:
    table = tmp_path / "qa.jsonl"
    table.write_text('{"q": "What is 2+2?", "a": 4}\n\n{"q": "Capital of France?", "a": "Paris"}\n')
    assert load_answer_table(table, "q", "a") == {"What is 2+2?": "4", "Capital of France?": "Paris"}


def test_answer_table_names_the_line_lacking_a_column(tmp_path: Path) -> None:
    table = tmp_path / "qa.jsonl"
    table.write_text('{"question": "a", "answer": "b"}\n{"question": "c"}\n')
    with pytest.raises(DatasetError, match=r"qa.jsonl:2: .*'answer'"):
        load_answer_table(table)


# --- faults ---------------------------------------------------------------------------------


def test_error_fault_answers_500_or_503_with_an_openai_error(faulty: StandinServer) -> None:
    faulty.set_faults(Faults(error_rate=1.0))
    api, statuses = client(faulty.base_url), set()
    for _ in range(12):
        with pytest.raises(openai.InternalServerError) as raised:
            ask(api)
        statuses.add(raised.value.status_code)
        assert set(raised.value.response.json()["error"]) >= {"message", "type", "code"}
    assert statuses == {500, 503}
    assert faulty.stats.by_fault == {"error": 12}


def test_rate_limit_fault_answers_429_with_retry_after(faulty: StandinServer) -> None:
    faulty.set_faults(Faults(rate_limit_rate=1.0, retry_after_s=2))
    with pytest.raises(openai.RateLimitError) as raised:
        ask(client(faulty.base_url))
    assert raised.value.status_code == 429
    assert raised.value.response.headers["retry-after"] == "2"


def test_reset_fault_is_a_connection_error_for_the_client(faulty: StandinServer) -> None:
    faulty.set_faults(Faults(reset_rate=1.0))
    with pytest.raises(openai.APIConnectionError):
        ask(client(faulty.base_url))
    with pytest.raises(httpx.TransportError):
        httpx.post(faulty.base_url + "/chat/completions", json=chat_payload())
    assert faulty.stats.by_fault == {"reset": 2}


def test_malformed_fault_is_a_json_decode_error_for_the_client(faulty: StandinServer) -> None:
    faulty.set_faults(Faults(malformed_rate=1.0))
    with pytest.raises(json.JSONDecodeError):
        ask(client(faulty.base_url))
    response = httpx.post(faulty.base_url + "/chat/completions", json=chat_payload())
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        response.json()
    with pytest.raises(json.JSONDecodeError):
        list(client(faulty.base_url).chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": QUESTION}], stream=True))


def test_hang_fault_times_out_while_other_requests_are_served(faulty: StandinServer) -> None:
    faulty.set_faults(Faults(hang_rate=1.0))
    outcome: list[BaseException] = []

    def hung_call() -> None:
        try:
            ask(client(faulty.base_url, timeout=0.5))
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome.append(exc)

    caller = threading.Thread(target=hung_call)
    caller.start()
    _wait_for(lambda: faulty.stats.by_fault.get("hang") == 1)
    faulty.set_faults(Faults())
    assert ask(client(faulty.base_url)) == ANSWER  # served while the other request hangs
    caller.join(timeout=5)
    assert len(outcome) == 1 and isinstance(outcome[0], openai.APITimeoutError)


def test_stop_returns_promptly_with_a_hung_connection_open() -> None:
    server = StandinServer(QA, faults=Faults(hang_rate=1.0)).start()
    patient = client(server.base_url, timeout=30)
    caller = threading.Thread(target=lambda: _swallow(lambda: ask(patient)), daemon=True)
    caller.start()
    _wait_for(lambda: server.stats.by_fault.get("hang") == 1)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 1.0
    caller.join(timeout=5)
    assert not caller.is_alive()  # the hung client was let go, not left waiting 30 s


def test_faults_are_drawn_per_request_so_a_retry_can_succeed(faulty: StandinServer) -> None:
    faulty.set_faults(Faults(error_rate=0.5, seed=3))
    with httpx.Client() as http:
        statuses = [http.post(faulty.base_url + "/chat/completions", json=chat_payload()).status_code
                    for _ in range(30)]
    retried_after_error = [after for before, after in zip(statuses, statuses[1:]) if before != 200]
    assert 200 in retried_after_error and set(statuses) - {200} <= {500, 503}


def test_faults_can_be_flipped_on_a_running_server(faulty: StandinServer) -> None:
    assert ask(client(faulty.base_url)) == ANSWER
    faulty.set_faults(Faults(error_rate=1.0))
    with pytest.raises(openai.InternalServerError):
        ask(client(faulty.base_url))
    faulty.set_faults(Faults())
    assert ask(client(faulty.base_url)) == ANSWER


def test_latency_delays_every_response() -> None:
    with StandinServer(QA, faults=Faults(latency_ms=150)) as server:
        started = time.monotonic()
        ask(client(server.base_url))
        assert time.monotonic() - started >= 0.15


def test_slow_stream_spaces_out_the_chunks() -> None:
    with StandinServer({QUESTION: "a b c d"}, faults=Faults(slow_stream_ms=40)) as server:
        started = time.monotonic()
        chunks = list(client(server.base_url).chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": QUESTION}], stream=True))
        assert len(chunks) == 6 and time.monotonic() - started >= 5 * 0.04


def test_health_is_never_faulted(faulty: StandinServer) -> None:
    faulty.set_faults(Faults(reset_rate=1.0))
    assert httpx.get(faulty.root_url + "/health").status_code == 200


def test_fault_rates_must_be_fractions_adding_up_to_at_most_one() -> None:
    with pytest.raises(ValueError, match="add up"):
        Faults(error_rate=0.6, reset_rate=0.6)
    with pytest.raises(ValueError, match="between 0 and 1"):
        Faults(hang_rate=1.5)


def test_stats_count_requests_statuses_faults_and_completions(faulty: StandinServer) -> None:
    ask(client(faulty.base_url))
    faulty.set_faults(Faults(rate_limit_rate=1.0))
    with pytest.raises(openai.RateLimitError):
        ask(client(faulty.base_url))
    stats = faulty.stats
    assert (stats.requests, stats.completions) == (2, 1)
    assert stats.by_status == {200: 1, 429: 1} and stats.by_fault == {"rate_limit": 1}


# --- as a separate process ------------------------------------------------------------------


def test_cli_serves_the_answer_table_until_sigterm(tmp_path: Path) -> None:
    table = tmp_path / "qa.jsonl"
    table.write_text(json.dumps({"prompt": QUESTION, "reference": ANSWER}) + "\n")
    command = [sys.executable, "-m", "gatewise.standin", "--port", "0", "--answers", str(table),
               "--question-column", "prompt", "--answer-column", "reference", "--model-id", MODEL]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline().strip()
            assert line.startswith("listening on http://127.0.0.1:") and line.endswith("/v1")
            assert ask(client(line.split()[-1])) == ANSWER
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == 0
        finally:
            if process.poll() is None:
                process.kill()


def test_cli_reports_a_bad_answer_table_as_input_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--port", "0", "--answers", str(tmp_path / "missing.jsonl")]) == 2
    assert "cannot read answer table" in capsys.readouterr().err
    assert main(["--port", "0", "--error-rate", "2"]) == 2


def _wait_for(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


def _swallow(call) -> None:
    try:
        call()
    except Exception:  # noqa: BLE001 - the hung caller's error is not what this test checks
        pass


def test_both_judges_answer_garbage_to_the_same_share_of_prompts_and_json_to_the_rest():
    from gatewise.standin._judge import GARBAGE_ANSWER, judge_reply
    from gatewise.standin._judge_dialogue import conversation_judge_reply

    for reply, marker in ((judge_reply, "generate 3-4 concise evaluation steps"),
                          (conversation_judge_reply, "Given a list of attritions")):
        prompts = [f"{marker}\nrow {i}" for i in range(200)]
        faulty = [reply(p, garbage_rate=0.5) for p in prompts]
        garbage = sum(answer == GARBAGE_ANSWER for answer in faulty)
        assert 60 < garbage < 140  # about half, chosen by each prompt's hash
        assert faulty == [reply(p, garbage_rate=0.5) for p in prompts]  # a prompt always gets the same reply
        for answer, prompt in zip(faulty, prompts):
            if answer != GARBAGE_ANSWER:
                assert json.loads(answer) == json.loads(reply(prompt))
        assert all(isinstance(json.loads(reply(p)), dict) for p in prompts)  # no fault: always JSON
        assert reply("What is the capital of country number 3?", garbage_rate=1.0) is None  # not a judge prompt
