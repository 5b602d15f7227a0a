"""``only_if`` of a judge suite: the deterministic checks a row must pass before the judge is asked."""

from __future__ import annotations

from typing import Any, Sequence

from ._strict import error_at


def gating_metrics(suites: Sequence[Any]) -> list[str]:
    """Names ``only_if`` may list: evidently suites, and their checks as ``suite.check``."""
    names: list[str] = []
    for suite in suites:
        if suite.evidently is not None:
            names.append(suite.name)
            names.extend(f"{suite.name}.{check.label}" for check in suite.evidently)
    return names


def check_only_if(suites: Sequence[Any]) -> None:
    """Every ``only_if`` names a deterministic check of this config (a judge or dataset-level suite
    cannot gate: a judge's verdict is what only_if saves, and dataset suites have no per-row verdict)."""
    known = gating_metrics(suites)
    for index, suite in enumerate(suites):
        only_if = suite.judge.only_if if suite.judge is not None else None
        for position, name in enumerate(only_if or ()):
            if name not in known:
                listed = ", ".join(known) if known else "none: add an evidently suite first"
                raise error_at(("suites", index, "judge", "only_if", position),
                               f"only_if names {name!r}, which is no evidently suite or check here; "
                               f"known: {listed}")


def gated(suite: Any) -> bool:
    """A judge suite judged only on rows that passed its ``only_if`` checks."""
    return suite.judge is not None and bool(suite.judge.only_if)
