"""The sequential rule of ``repeats: auto`` (``gatewise.gate._sequential``): exact boundaries, the
false-block rate under repeated looks, and the decisions it documents."""

from __future__ import annotations

import random

import pytest
from scipy import stats

from gatewise.gate._sequential import disputed_rows, paired_rounds, sequential_look, sign_boundaries, spent
from gatewise.gate import Observation


@pytest.mark.parametrize("n, alpha", [(10, 0.05), (40, 0.005), (300, 0.005), (1, 0.5)])
def test_one_look_is_the_exact_one_sided_sign_test(n, alpha):
    (boundary,) = sign_boundaries([n], alpha, 1)
    losses = (boundary + n) // 2  # losses - wins >= boundary  <=>  losses >= (boundary + n) / 2
    assert stats.binom.sf(losses - 1, n, 0.5) <= alpha * (1 + 1e-9)
    if losses - 1 >= 0:
        assert stats.binom.sf(losses - 2, n, 0.5) > alpha  # the lowest boundary that fits


def test_the_error_spent_over_the_looks_stays_within_alpha():
    counts, alpha, looks = [30, 55, 70, 80, 86], 0.01, 5
    boundaries = sign_boundaries(counts, alpha, looks)
    # a fair +-1 walk, looked at the given counts: how often does it cross a boundary at any look?
    rng = random.Random(7)
    trials, crossed = 40_000, 0
    for _ in range(trials):
        walk, step = 0, 0
        for n, boundary in zip(counts, boundaries):
            while step < n:
                walk += 1 if rng.random() < 0.5 else -1
                step += 1
            if walk >= boundary:
                crossed += 1
                break
    # within alpha, with three standard errors of the simulation
    assert crossed / trials <= alpha + 3 * (alpha / trials) ** 0.5
    assert spent(alpha, 1, looks) < spent(alpha, 3, looks) < spent(alpha, 5, looks) == alpha


def simulate(p_candidate, p_baseline, *, prs, max_asks, confidence=0.9, seed=1, fixed_every_look=False):
    """PRs through the rule with real re-asks: (blocked share, mean asks of both models per row).

    ``fixed_every_look``: instead, a one-look test at the full alpha applied again after every
    round, the mistake the sequential rule exists to avoid."""
    rng = random.Random(seed)
    rows = len(p_candidate)
    blocked = calls = 0
    for _ in range(prs):
        rounds, asked = [], list(range(rows))
        for ask in range(max_asks):
            rounds.append({f"r{i}": float(rng.random() < p_candidate[i]) - float(rng.random() < p_baseline[i])
                           for i in asked})
            calls += 2 * len(asked)
            if fixed_every_look:
                losses = sum(d < 0 for r in rounds for d in r.values())
                wins = sum(d > 0 for r in rounds for d in r.values())
                (boundary,) = sign_boundaries([losses + wins], (1 - confidence) / 2, 1)
                if losses - wins >= boundary:
                    blocked += 1
                    break
            else:
                look = sequential_look("s", rounds, max_regression=0.0, confidence=confidence, max_looks=max_asks)
                if look.decision != "undecided":
                    blocked += look.decision == "block"
                    break
            asked = [int(row[1:]) for row in disputed_rows({"s": rounds})]
    return blocked / prs, calls / (2 * rows * prs)


def test_the_false_block_rate_holds_however_many_rounds_are_looked_at():
    # A/A: the same model on both sides, noisy rows; alpha = 5 % one-sided with confidence 0.9
    rng = random.Random(3)
    p = [rng.choice([0.05, 0.3, 0.5, 0.7, 0.95]) for _ in range(60)]
    rate, _ = simulate(p, p, prs=600, max_asks=6)
    naive, _ = simulate(p, p, prs=600, max_asks=6, fixed_every_look=True)
    assert rate <= 0.05 + 3 * (0.05 * 0.95 / 600) ** 0.5
    # the same looks with a fixed-n test each time: the false blocks pile up
    assert naive > 0.08


def test_re_asking_finds_a_drop_one_pass_misses_at_a_fraction_of_fixed_repeats():
    rng = random.Random(4)
    base = [rng.choice([0.3, 0.5, 0.7, 0.9]) for _ in range(100)]
    worse = [max(0.0, b - 0.12) for b in base]
    one_pass, _ = simulate(worse, base, prs=200, max_asks=1)
    auto, cost = simulate(worse, base, prs=200, max_asks=8)
    assert auto > one_pass + 0.2
    assert cost < 3  # far below 8 asks of every row


def test_a_first_pass_without_a_drop_passes_at_once():
    look = sequential_look("s", [{"a": 1.0, "b": -1.0, "c": 0.0, "d": 0.0}], max_regression=0.02, confidence=0.99,
                           max_looks=8)
    assert look.decision == "pass" and look.looks == 1 and look.estimate == 0.0
    assert "under half the tolerance" in look.reason


def test_a_drop_within_noise_is_undecided_then_the_cap_passes_it():
    first = {f"r{i}": d for i, d in enumerate([-1.0] * 6 + [1.0] * 3 + [0.0] * 11)}
    undecided = sequential_look("s", [first], max_regression=0.02, confidence=0.99, max_looks=3)
    assert undecided.decision == "undecided" and undecided.losses == 6 and undecided.wins == 3
    assert undecided.estimate == pytest.approx(-3 / 20)
    capped = sequential_look("s", [first, {"r0": -1.0, "r6": 1.0}, {"r1": 0.0}], max_regression=0.02,
                             confidence=0.99, max_looks=3)
    assert capped.decision == "pass" and capped.looks == 3 and "the cap (3 asks) was reached" in capped.reason


def test_a_clear_drop_blocks_and_later_rounds_do_not_undo_it():
    first = {f"r{i}": -1.0 for i in range(40)}
    look = sequential_look("s", [first, {f"r{i}": 1.0 for i in range(40)}], max_regression=0.02, confidence=0.99,
                           max_looks=2)
    assert look.decision == "block" and look.looks == 1 and look.estimate == -1.0


def test_nothing_measured_on_both_sides_blocks():
    look = sequential_look("s", [{}], max_regression=0.02, confidence=0.99, max_looks=3)
    assert look.decision == "block" and look.estimate is None


def test_rounds_pair_repeats_and_leave_out_rows_with_an_error_on_either_side():
    cand = [Observation("a", 0, 1.0, True, False), Observation("b", 0, None, False, True),
            Observation("a", 1, 0.0, False, False)]
    base = [Observation("a", 0, 0.0, False, False), Observation("b", 0, 1.0, True, False),
            Observation("a", 1, 1.0, True, False)]
    assert paired_rounds(cand, base) == [{"a": 1.0}, {"a": -1.0}]
    assert disputed_rows({"s": [{"a": 1.0, "b": 0.0}, {"c": -0.5}]}) == ("a", "c")
