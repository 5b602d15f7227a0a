"""The stand-in model's ``noise`` knob: honest run-to-run variation around shared difficulties."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import httpx
import pytest

from gatewise.standin import StandinServer, main
from gatewise.standin._model import StandinModel, difficulty

TABLE = {f"What is the code word number {i}?": f"word-{i}" for i in range(400)}


def right_share(model: StandinModel) -> list[bool]:
    return [model.reply(q) == a for q, a in TABLE.items()]


def test_without_noise_the_model_is_deterministic_as_before():
    first, again = StandinModel(TABLE, quality=0.8, seed=1), StandinModel(TABLE, quality=0.8, seed=1)
    assert right_share(first) == right_share(again) == right_share(first)
    assert {first.p_right(q) for q in TABLE} <= {0.0, 1.0}


@pytest.mark.parametrize("noise", [0.1, 0.5, 2.0])
def test_noise_keeps_the_expected_quality(noise):
    model = StandinModel(TABLE, quality=0.85, noise=noise)
    assert sum(model.p_right(q) for q in TABLE) / len(TABLE) == pytest.approx(0.85, abs=1e-9)


def test_two_runs_of_a_noisy_model_disagree_on_some_rows_only():
    run_a = right_share(StandinModel(TABLE, quality=0.85, seed=1, noise=0.3))
    run_b = right_share(StandinModel(TABLE, quality=0.85, seed=2, noise=0.3))
    flips = sum(a != b for a, b in zip(run_a, run_b)) / len(TABLE)
    expected = sum(2 * p * (1 - p) for p in (StandinModel(TABLE, quality=0.85, noise=0.3).p_right(q) for q in TABLE))
    assert 0 < flips < 0.2
    assert flips == pytest.approx(expected / len(TABLE), abs=0.05)


def test_a_worse_model_loses_the_hard_questions_first():
    better = StandinModel(TABLE, quality=0.85, noise=0.2)
    worse = StandinModel(TABLE, quality=0.80, noise=0.2)
    by_difficulty = sorted(TABLE, key=difficulty)
    easy, hard = by_difficulty[:100], by_difficulty[-100:]
    assert all(worse.p_right(q) <= better.p_right(q) for q in TABLE)
    assert sum(better.p_right(q) - worse.p_right(q) for q in hard) > 3 * sum(
        better.p_right(q) - worse.p_right(q) for q in easy)


# --- through a running stand-in: the knob reaches the served model ----------------------------


def served_right(server, rounds: int = 1) -> list[bool]:
    """Ask every question of the table over HTTP, ``rounds`` times; True where the answer is right."""
    right = []
    with httpx.Client(base_url=server.base_url, timeout=10) as http:
        for _ in range(rounds):
            for question, answer in TABLE.items():
                reply = http.post("/chat/completions", json={
                    "model": "standin-model", "messages": [{"role": "user", "content": f"Question: {question}"}]})
                reply.raise_for_status()
                right.append(reply.json()["choices"][0]["message"]["content"] == answer)
    return right


def test_two_noisy_standin_servers_differ_on_some_rows_and_keep_the_quality():
    runs = []
    for seed in (1, 2):
        with StandinServer(TABLE, quality=0.85, seed=seed, noise=0.3) as server:
            runs.append(served_right(server))
    flips = sum(a != b for a, b in zip(*runs))
    assert 0 < flips < 0.2 * len(TABLE)
    # 400 rows at p ~ 0.85: a share more than 0.06 away is over three standard errors out
    for run in runs:
        assert sum(run) / len(TABLE) == pytest.approx(0.85, abs=0.06)


def test_a_standin_server_without_noise_answers_the_same_every_call():
    with StandinServer(TABLE, quality=0.85, seed=1) as server:
        both_rounds = served_right(server, rounds=2)
    assert both_rounds[:len(TABLE)] == both_rounds[len(TABLE):]


def test_standin_cli_passes_noise_to_the_model(tmp_path):
    table = tmp_path / "qa.jsonl"
    table.write_text("".join(json.dumps({"question": q, "answer": a}) + "\n" for q, a in TABLE.items()))
    command = [sys.executable, "-m", "gatewise.standin", "--port", "0", "--answers", str(table),
               "--quality", "0.5", "--noise", "2", "--seed", "3"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            url = process.stdout.readline().split()[-1]

            class Served:  # what served_right needs of a server
                base_url = url

            both_rounds = served_right(Served, rounds=2)
            first_round, second_round = both_rounds[:len(TABLE)], both_rounds[len(TABLE):]
            # a weighted coin per call: two rounds over 400 questions disagree on about half of them
            assert sum(a != b for a, b in zip(first_round, second_round)) > 0.3 * len(TABLE)
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == 0
        finally:
            if process.poll() is None:
                process.kill()


def test_standin_cli_rejects_noise_out_of_range(capsys):
    assert main(["--port", "0", "--noise", "-1"]) == 2
    assert "noise must be between 0 and 100" in capsys.readouterr().err
