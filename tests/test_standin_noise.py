"""The stand-in model's ``noise`` knob: honest run-to-run variation around shared difficulties."""

from __future__ import annotations

import pytest

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
