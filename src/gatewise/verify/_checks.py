"""The serving checks: each limit of each configured check, as value, champion's value, interval
and limit, decided with the gate's regression rule (``gate.regression_blocks``).

Every quantity is lower-is-better. A relative limit (``max_ratio``, ``max_increase``) fails under
the ``significant`` rule only when the canary is past the limit *and* the interval says it is worse
than the champion at all, as the gate's baseline comparison does; ``point`` fails on the estimate,
``confident`` only when the whole interval is past the limit. An absolute ``max`` is checked on
the estimate. Intervals come from a seeded parametric bootstrap of the window's counts: the
histogram's buckets as a multinomial, errors as a binomial. Unmeasured is never a pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..config import LATENCY_CHECKS, VerifyCheckConfig, VerifyConfig
from ..gate import percentile_interval, regression_blocks
from ..readable import readable
from ._window import Observed, SideMetrics, quantile_of

RESAMPLES = 2000


@dataclass(frozen=True)
class CheckResult:
    check: str  # the config's name, e.g. latency_p95
    compared: str  # "ratio", "increase" or "absolute"
    value: float | None  # the canary's value
    champion: float | None  # the champion's value
    statistic: float | None  # what the limit is checked on: ratio, difference, or the canary's value
    interval: tuple[float, float] | None  # of ``statistic``
    limit: str  # in words, e.g. "<= 1.2 x champion"
    passed: bool

    def to_dict(self) -> dict:
        return {"check": self.check, "compared": self.compared, "value": self.value, "champion": self.champion,
                "statistic": self.statistic, "interval": list(self.interval) if self.interval else None,
                "limit": self.limit, "passed": self.passed}


def run_checks(verify: VerifyConfig, observed: Observed, *, seed: int = 0) -> tuple[CheckResult, ...]:
    results: list[CheckResult] = []
    for name, check in verify.checks.items():
        if check.query is not None:
            canary, champion = observed.custom[name]
            results += _limits(name, check, canary, champion, None, "point", verify.confidence)
            continue
        value_of, draws_of = _measure(name, seed)
        draws = (draws_of(observed.canary), draws_of(observed.champion))
        results += _limits(name, check, value_of(observed.canary), value_of(observed.champion), draws,
                           verify.rule, verify.confidence)
    return tuple(results)


def _measure(name: str, seed: int) -> tuple[Callable, Callable]:
    """The check's value on one side, and its bootstrap draws (None when unmeasured)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    if name == "error_rate":
        def draws(side: SideMetrics):
            n = int(round(side.requests))
            return rng.binomial(n, side.error_rate, RESAMPLES) / n if n > 0 else None
        return (lambda side: side.error_rate), draws
    metric, q = LATENCY_CHECKS[name]

    def value(side: SideMetrics) -> float | None:
        return side.histograms[metric].quantile(q / 100)

    def quantile_draws(side: SideMetrics):
        buckets = side.histograms[metric].buckets
        n = int(round(buckets[-1][1])) if buckets else 0
        if n <= 0:
            return None
        cumulative = np.maximum.accumulate(np.array([c for _, c in buckets], dtype=float))
        shares = np.diff(cumulative, prepend=0.0) / cumulative[-1]
        bounds = [b for b, _ in buckets]
        counts = np.cumsum(rng.multinomial(n, shares, RESAMPLES), axis=1)
        drawn = [quantile_of(list(zip(bounds, row)), q / 100) for row in counts]
        return np.array([np.nan if d is None else d for d in drawn])
    return value, quantile_draws


def _limits(name: str, check: VerifyCheckConfig, canary: float | None, champion: float | None, draws,
            rule: str, level: float) -> list[CheckResult]:
    out = []
    both = canary is not None and champion is not None
    if check.max_ratio is not None:
        ratio = canary / champion if both and champion > 0 else None
        interval = _interval(draws, lambda a, b: a / b, level)
        # as a drop of -(ratio - 1) beyond a tolerance of max_ratio - 1, in the gate's own rule
        blocks = regression_blocks(None if ratio is None else 1 - ratio,
                                   None if interval is None else (1 - interval[1], 1 - interval[0]),
                                   check.max_ratio - 1, rule)
        out.append(CheckResult(name, "ratio", canary, champion, ratio, interval,
                               f"<= {readable(check.max_ratio)} x champion", not blocks))
    if check.max_increase is not None:
        increase = canary - champion if both else None
        interval = _interval(draws, lambda a, b: a - b, level)
        blocks = regression_blocks(None if increase is None else -increase,
                                   None if interval is None else (-interval[1], -interval[0]),
                                   check.max_increase, rule)
        out.append(CheckResult(name, "increase", canary, champion, increase, interval,
                               f"<= champion + {readable(check.max_increase)}", not blocks))
    if check.max is not None:
        interval = _interval(draws, lambda a, b: a, level)
        out.append(CheckResult(name, "absolute", canary, champion, canary, interval, f"<= {readable(check.max)}",
                               canary is not None and canary <= check.max))
    return out


def _interval(draws, combine, level: float) -> tuple[float, float] | None:
    import numpy as np

    if draws is None or draws[0] is None or draws[1] is None:
        return None
    with np.errstate(divide="ignore", invalid="ignore"):
        values = combine(draws[0], draws[1])
    values = values[np.isfinite(values)]
    if len(values) < RESAMPLES // 2:
        return None  # mostly unmeasurable resamples: no interval worth the name
    return percentile_interval(values, level)
