"""Repeat agreement: how often a suite's outcome for a row (pass, fail, error) stays the same
when the row is sent again. Only meaningful with ``repeats`` > 1."""

from __future__ import annotations

from typing import Mapping, Sequence

from ..config import GateConfig
from ..result import SuiteAgreement
from ._observations import Observation, Observations

_OUTCOMES = 3  # pass, fail, error


def repeat_agreement(config: GateConfig, observed: Mapping[str, Observations | Sequence[Observation]]
                     ) -> tuple[SuiteAgreement, ...]:
    import numpy as np

    out = []
    for suite in config.suites:
        items = Observations.of(observed.get(suite.name, ()))
        if len(set(items.row_ids)) == len(items):
            continue  # every row answered at most once (no repeats): nothing to agree on
        # each row's count of each outcome; rows are numbered in first-seen order
        outcome = np.where(items.errored_array(), 2, np.where(items.passed_array(), 0, 1))
        counts = np.bincount(items.rows() * _OUTCOMES + outcome,
                             minlength=len(items) * _OUTCOMES).reshape(len(items), _OUTCOMES)
        asked = counts.sum(axis=1)
        present = np.flatnonzero(asked)
        counts, asked = counts[present], asked[present]
        # the share of a row's answers that gave its most common outcome
        shares = dict(zip(map(items.row_ids.__getitem__, present.tolist()), (counts.max(axis=1) / asked).tolist()))
        flaky = int(((counts > 0).sum(axis=1) > 1).sum())
        out.append(SuiteAgreement(suite.name, len(shares), sum(shares.values()) / len(shares), flaky, shares))
    return tuple(out)
