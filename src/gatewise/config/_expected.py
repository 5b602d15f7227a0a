"""Which dataset column holds what a row should have answered, per metric: what a failing row
shows beside the model's answer."""

from __future__ import annotations

from typing import Any


def expected_columns(config: Any) -> dict[str, str]:
    """``metric -> column`` for checks with ``expected``, judge suites with ``columns.expected_output``
    and predictive suites (their label or target)."""
    out: dict[str, str] = {}
    for suite in config.suites:
        for check in suite.checks:
            if check.expected is not None:
                out[f"{suite.name}.{check.label}"] = check.expected
        if suite.judge is not None and suite.judge.columns.expected_output is not None:
            out[f"{suite.name}.{suite.judge.metric}"] = suite.judge.columns.expected_output
        truth = suite.truth_column()
        if truth is not None:
            out[suite.name] = truth
    return out
