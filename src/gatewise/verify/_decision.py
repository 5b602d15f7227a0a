"""From what was observed to one of three outcomes: complete, roll back, or wait for traffic."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ..config import VerifyConfig
from ..readable import counted, readable
from ..result import GateResult
from ._checks import CheckResult
from ._window import Observed

Outcome = Literal["complete", "rollback", "wait"]
# 2 and 3 are bad input and infrastructure, as for every command
EXIT_CODES: dict[str, int] = {"complete": 0, "rollback": 1, "wait": 4}


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reasons: tuple[str, ...]
    checks: tuple[CheckResult, ...] = ()
    observed: Observed | None = None
    quality: GateResult | None = None
    recorded: bool = False  # decided by an earlier run; re-applied, not re-measured
    actions: tuple[str, ...] = field(default=())  # what was done about it, in words
    pr_url: str | None = None  # the completion / rollback PR in the manifests repo, when one was made

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.outcome]


def too_little_traffic(verify: VerifyConfig, observed: Observed) -> Decision | None:
    """Wait, when either side served fewer completions than ``min_requests`` in the window."""
    short = [f"{side} served {counted(round(metrics.requests), 'request')} in {observed.window}, "
             f"fewer than min_requests {verify.min_requests}" for side, metrics in (("canary", observed.canary),
                                                           ("champion", observed.champion))
             if metrics.requests < verify.min_requests]
    return Decision("wait", tuple(short), observed=observed) if short else None


def decide(checks: tuple[CheckResult, ...], observed: Observed, quality: GateResult | None) -> Decision:
    failed = [f"{c.check} ({c.compared}) {_number(c.statistic)} not {c.limit}" for c in checks if not c.passed]
    if quality is not None and not quality.passed:
        failed.append(f"quality: {quality.verdict.headline}")
    if failed:
        return Decision("rollback", tuple(failed), checks, observed, quality)
    paired = " and the paired quality check passed" if quality else ""
    held = f"{counted(len(checks), 'serving check')} held{paired}"
    return Decision("complete", (held,), checks, observed, quality)


def _number(value: float | None) -> str:
    return "unmeasured" if value is None else readable(value)
