"""Repeat agreement: how often a suite's outcome for a row (pass, fail, error) stays the same
when the row is sent again. Only meaningful with ``repeats`` > 1."""

from __future__ import annotations

from collections import Counter
from operator import attrgetter
from typing import Mapping, Sequence

from ..config import GateConfig
from ..result import SuiteAgreement
from ._observations import Observation


def _outcome(item: Observation) -> str:
    return "error" if item.errored else ("pass" if item.passed else "fail")


def repeat_agreement(config: GateConfig, observed: Mapping[str, Sequence[Observation]]) -> tuple[SuiteAgreement, ...]:
    out = []
    for suite in config.suites:
        items = observed.get(suite.name, ())
        if len(set(map(attrgetter("row_id"), items))) == len(items):
            continue  # every row answered at most once (no repeats): nothing to agree on
        by_row: dict[str, list[str]] = {}
        for item in items:
            by_row.setdefault(item.row_id, []).append(_outcome(item))
        if not by_row or all(len(v) < 2 for v in by_row.values()):
            continue
        shares = {row: Counter(outcomes).most_common(1)[0][1] / len(outcomes) for row, outcomes in by_row.items()}
        flaky = sum(1 for outcomes in by_row.values() if len(set(outcomes)) > 1)
        out.append(SuiteAgreement(suite.name, len(by_row), sum(shares.values()) / len(shares), flaky, shares))
    return tuple(out)
