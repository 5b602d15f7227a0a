"""The decision in words: one line per check (value, champion's value, interval, limit)."""

from __future__ import annotations

from ..readable import counted, readable
from ._decision import Decision

HEADLINES = {"complete": "COMPLETE: the canary holds up against the champion",
             "rollback": "ROLL BACK: the canary is worse than the champion",
             "wait": "WAIT: too little traffic observed to decide"}


def _n(value: float | None) -> str:
    return "n/a" if value is None else readable(value)


def summary_lines(decision: Decision) -> list[str]:
    lines = [HEADLINES[decision.outcome] + f" (exit {decision.exit_code})"]
    observed = decision.observed
    if observed is not None:
        canary, champion = observed.canary, observed.champion
        lines.append(f"  traffic over {observed.window} from {observed.source}: canary "
                     f"{counted(round(canary.requests), 'request')} ({readable(round(canary.errors))} 5xx), "
                     f"champion {readable(round(champion.requests))} ({readable(round(champion.errors))} 5xx)")
    for c in decision.checks:
        mark = "ok  " if c.passed else "FAIL"
        interval = f"[{_n(c.interval[0])}, {_n(c.interval[1])}]" if c.interval else "no interval"
        lines.append(f"  {mark} {c.check} {c.compared:<8} canary {_n(c.value):>9} champion {_n(c.champion):>9} "
                     f"-> {_n(c.statistic):>8} {interval:<22} (limit {c.limit})")
    quality = decision.quality
    if quality is not None:
        lines.append(f"  {'ok  ' if quality.passed else 'FAIL'} quality: {quality.verdict.headline}")
        for m in quality.baseline.metrics if quality.baseline else ():
            interval = f"[{_n(m.interval[0])}, {_n(m.interval[1])}]" if m.interval else "no interval"
            lines.append(f"       {m.metric} {m.statistic}: canary {_n(m.candidate)} champion {_n(m.baseline)} "
                         f"delta {_n(m.delta)} {interval} (max regression {readable(quality.baseline.max_regression)})")
        for r in quality.verdict.results:
            if not r.passed:
                lines.append(f"       FAIL {r.threshold.key} {_n(r.value)} (target {r.threshold.expression})")
    lines += [f"  why: {reason}" for reason in decision.reasons]
    lines += [f"  done: {action}" for action in decision.actions]
    return lines
