"""The threshold rule of ``repeats: auto``: after each round, is a ``point``-mode threshold on a
suite's ``mean`` or ``pass_rate`` decided, or can more asks of the model still change it?

What is estimated. A point threshold asks whether the model's expected metric on the pinned rows,
theta = (1/n) sum_i p_i (p_i: the chance row i passes, or its expected score in [0, 1]), meets
the target. The rows are fixed; the noise is in the asking. After k full rounds (every row asked
k times) the estimate is the mean over all asks, exactly what ``repeats: k`` would report, and its
variance from the asking is (1/n^2) sum_i sigma_i^2 / k.

Why full rounds, not only the "unsettled" rows. Choosing which rows to ask again by their answers
(failing rows, rows whose asks disagreed) and then averaging all of a row's asks biases the
estimate (re-ask a row when its two asks disagree: E = 0.848 for p = 0.8). Rounds that ask every
row again are chosen by the round, not by any answer, so the estimate stays unbiased; rows whose
asks all agree add nothing to the variance estimate, so a mostly-deterministic model decides
after one more round.

The looks. At look 1 nothing tells noisy rows from steady ones, but a value in [0, 1] with mean
p_i has variance <= p_i (1 - p_i), so (1/n^2) sum p_i (1 - p_i) <= theta (1 - theta) / n (Jensen):
a conservative bound (taken at the estimate or at the target, whichever is wider). From look 2
on, each row's sample variance over its asks, but never less than an upper confidence bound on
the variance from the differences between disjoint pairs of a row's asks (``_variance_bound``):
the plug-in alone is 0 when a few noisy rows happen to agree with themselves, and a look that
believed it would decide on a coin. A look decides when the estimate is further from the target
than z_k standard errors. The error is spent by the union bound, valid whatever the dependence
between looks: each look may err with chance 3/4 alpha / K (K the cap) and each variance bound
with 1/4 alpha / K, so the chance of ever deciding early on the wrong side stays <= alpha (a fixed
test re-applied at every look does not: each look is another chance to cross by luck). alpha is
one-sided, (1 - confidence.level) / 2, per side. At the cap the estimate over every ask decides,
as a point threshold always does.

The pilot (between look 1 and look 2). A steady model near the line would pay a whole second round
before look 2 sees that no row's asks disagree. So round 2 starts with a seeded, uniformly random
subset S of m rows (``pilot_size``: max(30, ceil(n / 4)), at most n). S is chosen by the seed, not by
any answer, so the share of S's pairs of asks that disagree estimates, without bias, the mean over
all rows of E(x1 - x2)^2 = 2 sigma_i^2; its upper confidence bound d+ (exact Clopper-Pearson for 0/1
values, the Chernoff bound above otherwise) bounds the first pass's variance by d+ / (2 n). The pilot
look decides when the first-pass estimate is further than z * sqrt(d+ / 2n) from the target; else
round 2 is completed by the rows outside S (S's answers are their round-2 asks) and look 2 goes on
as before. Why 30 and n / 4: with no disagreement in m pairs d+ ~ ln(1/beta) / m, so the margin
shrinks like 1 / sqrt(m n); a quarter of a round keeps a steady model's cost at 1.25 runs, while
a noisy model loses nothing (the pilot's asks are part of round 2), and 30 pairs keep d+ useful on
small datasets. The union bound gets one more slot: with the cap K every look (the pilot's
included) may err with 3/4 alpha / (K + 1), every variance bound (the pilot's included) with
1/4 alpha / (K + 1): K + 1 looks and at most K bounds, so the total stays <= alpha.

Not re-asked (decided on the first pass, and the reports say why): ``confident`` thresholds
(their interval is about rows not in the dataset: asking the same rows again barely narrows it),
``==`` / ``!=``, statistics other than mean and pass_rate (percentiles, min / max, counts),
built-in metrics (latency_ms, errors), dataset-level suites, and means of values outside [0, 1]
(nothing bounds their variance on the first look).
"""

from __future__ import annotations

import math
import random
from statistics import NormalDist
from typing import Mapping, Sequence

from ..config import Threshold
from ..result import ThresholdLook
from ._observations import Observation, Observations

REASKED_STATISTICS = ("mean", "pass_rate")
_SIDES = {">=": 1, ">": 1, "<=": -1, "<": -1}


def not_reaskable(threshold: Threshold, items: Observations | Sequence[Observation] | None) -> str | None:
    """Why more asks cannot decide this threshold better; None when they can."""
    if threshold.mode != "point":
        return ("a confident threshold's interval is about rows outside the dataset: asking the same rows "
                "again would barely narrow it")
    if threshold.op not in _SIDES:
        return f"{threshold.op} has no side to be sure of"
    if threshold.statistic not in REASKED_STATISTICS:
        return f"{threshold.statistic} is not an average over rows (only mean and pass_rate are re-asked)"
    if items is None:
        return "not a per-row metric of a suite"
    if threshold.statistic == "mean" and any(not 0.0 <= v <= 1.0 for v in Observations.of(items).measured_values()):
        return "its values are not within [0, 1], so one pass cannot bound their noise"
    return None


def per_row(threshold: Threshold, items: Observations | Sequence[Observation], asks: int) -> dict[str, list[float]]:
    """Each row's values over its first ``asks`` asks, as the aggregate counts them: pass_rate
    counts an errored ask as failed, mean leaves it out."""
    items = Observations.of(items)
    rows: dict[str, list[float]] = {}
    pass_rate = threshold.statistic == "pass_rate"
    for row_id, asked, value, passed in zip(items.row_ids, items.repeats, items.values, items.passed):
        if asked >= asks:
            continue
        if pass_rate:
            rows.setdefault(row_id, []).append(1.0 if passed else 0.0)
        elif value is not None:
            rows.setdefault(row_id, []).append(value)
    return rows


# share of alpha that may be spent on the variance's upper bound (the rest goes to the looks)
VARIANCE_SHARE = 0.25


def look_at(rows: Mapping[str, Sequence[float]], op: str, target: float, look: int, max_looks: int,
            alpha: float, *, spend: bool = True) -> tuple[str, float | None, float | None]:
    """(decision, estimate, half-width) at one look: decision "pass", "fail" or "undecided".
    ``spend=False`` is the naive rule (the full alpha at every look, the plain plug-in variance),
    kept for the tests that show why it is not used."""
    values = [v for asked in rows.values() for v in asked]
    if not values:
        return "fail", None, None  # nothing measured is never a pass
    estimate = sum(values) / len(values)
    n = len(rows)
    per_look = (alpha * (1.0 - VARIANCE_SHARE) / _slots(max_looks)) if spend else alpha
    if look == 1 or all(len(asked) < 2 for asked in rows.values()):
        # the worst case over the rows' unknown noise, at the estimate or at the line, whichever is wider
        line = min(1.0, max(0.0, target))
        variance = max(estimate * (1.0 - estimate), line * (1.0 - line)) / n
    else:
        variance = sum(_sample_variance(asked) / len(asked) for asked in rows.values()) / (n * n)
        if spend:
            variance = max(variance, _variance_bound(rows, look, alpha * VARIANCE_SHARE / _slots(max_looks)))
    half = NormalDist().inv_cdf(1.0 - per_look) * math.sqrt(max(variance, 0.0))
    holds = estimate >= target if op == ">=" else estimate > target if op == ">" else \
        estimate <= target if op == "<=" else estimate < target
    if look >= max_looks or half == 0.0 or abs(estimate - target) > half:
        return ("pass" if holds else "fail"), estimate, half
    return "undecided", estimate, half


def _slots(max_looks: int) -> int:
    """Shares of alpha in the union bound: the looks 1..K and the pilot's."""
    return max_looks + 1


PILOT_FLOOR = 30  # pairs, so a pilot's bound is useful on small datasets


def pilot_size(rows: int) -> int:
    """How many rows the pilot re-asks: max(30, ceil(n / 4)), at most n (see the module docstring)."""
    return min(rows, max(PILOT_FLOOR, math.ceil(rows / 4)))


def pilot_rows(row_ids: Sequence[str], seed: int) -> frozenset[str]:
    """The pilot's rows: a uniformly random subset, drawn by ``seed`` alone (never by an answer), so
    a --cache or --resume run draws the same one."""
    ordered = sorted(row_ids)
    return frozenset(random.Random(f"gatewise-pilot:{seed}").sample(ordered, pilot_size(len(ordered))))


def pilot_look(first: Mapping[str, Sequence[float]], pilot: Mapping[str, Sequence[float]], op: str, target: float,
               max_looks: int, alpha: float) -> tuple[str, float | None, float | None]:
    """(decision, estimate, half-width) of the pilot look: the first pass's estimate (``first``: each
    row's first ask) against a margin from the pilot's rows' pairs of asks (``pilot``: their first two
    asks). Never at the cap: "undecided" sends the rest of round 2."""
    values = [v for asked in first.values() for v in asked[:1]]
    pairs = [(asked[0], asked[1]) for asked in pilot.values() if len(asked) >= 2]
    if not values or not pairs:
        return "undecided", None, None
    estimate = sum(values) / len(values)
    n = len(values)
    beta = alpha * VARIANCE_SHARE / _slots(max_looks)
    squares = [(a - b) ** 2 for a, b in pairs]
    if all(x in (0.0, 1.0) for x in squares):
        disagree = clopper_pearson_upper(int(sum(squares)), len(squares), beta)
    else:  # scores in [0, 1]: the Chernoff bound of _variance_bound on the mean of the squares
        log_term = math.log(1.0 / beta)
        q = sum(squares)
        disagree = min(1.0, (q + log_term + math.sqrt(log_term * log_term + 2.0 * q * log_term)) / len(squares))
    line = min(1.0, max(0.0, target))
    jensen = max(estimate * (1.0 - estimate), line * (1.0 - line)) / n
    variance = min(jensen, disagree / (2.0 * n))  # both hold: the smaller one too
    half = NormalDist().inv_cdf(1.0 - alpha * (1.0 - VARIANCE_SHARE) / _slots(max_looks)) * math.sqrt(variance)
    if abs(estimate - target) > half:
        holds = estimate >= target if op == ">=" else estimate > target if op == ">" else \
            estimate <= target if op == "<=" else estimate < target
        return ("pass" if holds else "fail"), estimate, half
    return "undecided", estimate, half


def clopper_pearson_upper(hits: int, trials: int, beta: float) -> float:
    """The exact (Clopper-Pearson) upper bound on a binomial share, wrong with chance <= ``beta``:
    the p at which seeing <= ``hits`` in ``trials`` has chance ``beta`` (bisection on the CDF)."""
    if hits >= trials:
        return 1.0
    low, high = hits / trials, 1.0
    for _ in range(80):
        middle = (low + high) / 2.0
        if _binomial_cdf(hits, trials, middle) > beta:
            low = middle
        else:
            high = middle
    return high


def _binomial_cdf(hits: int, trials: int, p: float) -> float:
    if p >= 1.0:
        return 0.0
    log_p, log_q = math.log(p), math.log1p(-p)
    return min(1.0, sum(math.exp(math.lgamma(trials + 1) - math.lgamma(k + 1) - math.lgamma(trials - k + 1)
                                 + k * log_p + (trials - k) * log_q) for k in range(hits + 1)))


def _variance_bound(rows: Mapping[str, Sequence[float]], asks: int, beta: float) -> float:
    """An upper bound, wrong with chance <= ``beta``, on the variance of the mean over ``asks`` asks.

    The plug-in (each row's sample variance) is unbiased but can be 0 when a few noisy rows happen
    to agree with themselves, and a look that believed it would decide on a coin. Two asks of a row
    differ by (x1 - x2)^2, in [0, 1], with mean 2 sigma_i^2; over the disjoint pairs of asks (1, 2),
    (3, 4) ... of every row these are independent, so a Chernoff bound on their sum Q
    (P(Q <= mu - t) <= exp(-t^2 / 2 mu)) gives the largest sum of sigma_i^2 they leave plausible."""
    n = len(rows)
    q = 0.0
    pairs = 0
    for asked in rows.values():
        for first in range(0, len(asked) - 1, 2):
            q += (asked[first] - asked[first + 1]) ** 2
            pairs += 1
    if not pairs:
        return math.inf
    log_term = math.log(1.0 / beta)
    upper = q + log_term + math.sqrt(log_term * log_term + 2.0 * q * log_term)
    sigma_squared = upper / 2.0 / (pairs / n)  # the sum over rows of sigma_i^2, at most
    return sigma_squared / (asks * n * n)


def _sample_variance(values: Sequence[float]) -> float:
    if len(values) < 2:
        return 0.0
    mean = sum(values) / len(values)
    return sum((v - mean) ** 2 for v in values) / (len(values) - 1)


def threshold_look(threshold: Threshold, items: Observations | Sequence[Observation] | None, asks: int, max_looks: int,
                   confidence: float, pilot: frozenset[str] | None = None) -> ThresholdLook:
    """Walk the looks 1..``asks`` (full rounds), with the pilot look on ``pilot``'s rows (asked a
    second time) between looks 1 and 2; the first decision reached stands."""
    key = threshold.key
    reason = not_reaskable(threshold, items)
    if reason is not None:
        return ThresholdLook(key, "first pass", 1, None, None, f"decided on the first pass: {reason}")
    assert items is not None
    alpha = (1.0 - confidence) / 2.0
    decision, estimate, half = "fail", None, None
    for look in range(1, max(asks, 1) + 1):
        rows = per_row(threshold, items, look)
        decision, estimate, half = look_at(rows, threshold.op, threshold.target, look, max_looks, alpha)
        if decision != "undecided":
            steady = look > 1 and all(len(set(asked)) == 1 for asked in rows.values())
            # a threshold decided at look 1 never reached the pilot
            return ThresholdLook(key, decision, look, estimate, half, _why(look, max_looks, half, steady),
                                 pilot_rows=len(pilot or ()) if look > 1 else 0)
        if look == 1 and pilot:
            paired = {row: asked for row, asked in per_row(threshold, items, 2).items() if row in pilot}
            decision, estimate, half = pilot_look(rows, paired, threshold.op, threshold.target, max_looks, alpha)
            if decision != "undecided":
                agreed = sum(len(set(asked[:2])) == 1 for asked in paired.values() if len(asked) >= 2)
                return ThresholdLook(key, decision, 1, estimate, half,
                                     f"pilot: {len(pilot)} rows asked again, {agreed} of {len(paired)} agreed with "
                                     f"their first ask; the first pass's estimate is more than {half:.4g} from the "
                                     "target (the noise those pairs still allow)", pilot_rows=len(pilot))
            if asks < 2:
                break
    return ThresholdLook(key, "undecided" if decision == "undecided" else decision, asks, estimate, half,
                         "within the asking noise of the target: every row is asked again", pilot_rows=len(pilot or ()))


def _why(look: int, max_looks: int, half: float | None, steady: bool) -> str:
    if half is None:
        return "nothing could be measured"
    if look >= max_looks and half:
        return f"the cap ({max_looks} asks) was reached: the mean over every ask decides"
    if not half:
        return "no asking noise to doubt it"
    if steady:
        return (f"every row's asks agreed, and the estimate is more than {half:.4g} from the target (the noise "
                "a few rows could still hide)")
    first = " (a bound that holds however noisy the rows are)" if look == 1 else ""
    return f"the estimate is more than {half:.4g} from the target{first}"
