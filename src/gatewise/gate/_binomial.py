"""Quantiles of the binomial distribution, for the order-statistic interval of a percentile.

What ``scipy.stats.binom.ppf`` gives, computed with numpy and ``math.lgamma``: importing
``scipy.stats`` costs about half a second of every gate run, and a gate needs only this from it.
"""

from __future__ import annotations

import math
from typing import Sequence


def binomial_quantiles(n: int, p: float, probabilities: Sequence[float]) -> list[int]:
    """For X ~ Binomial(n, p), the smallest k with P(X <= k) >= q, for each q in ``probabilities``."""
    if n < 0 or not 0.0 <= p <= 1.0:
        raise ValueError(f"a binomial needs n >= 0 and 0 <= p <= 1, not n={n}, p={p}")
    if any(not 0.0 < q <= 1.0 for q in probabilities):
        raise ValueError("binomial quantiles are asked for probabilities in (0, 1]")
    if p == 0.0 or p == 1.0:  # all the mass on one value (q = 1: the top of the support, as scipy)
        return [n if q == 1.0 or p == 1.0 else 0 for q in probabilities]
    import numpy as np

    log_n_factorial, log_p, log_q = math.lgamma(n + 1), math.log(p), math.log1p(-p)
    # each term from lgamma directly (not a running product), so no error builds up along k
    log_pmf = np.fromiter((log_n_factorial - math.lgamma(k + 1) - math.lgamma(n - k + 1) + k * log_p + (n - k) * log_q
                           for k in range(n + 1)), dtype=float, count=n + 1)
    cdf = np.cumsum(np.exp(log_pmf))
    # q = 1 is the top of the support (rounding could put the sum at 1 a little early), and a sum
    # left a hair under 1 by rounding gives the top too
    return [n if q == 1.0 else min(int(np.searchsorted(cdf, q, side="left")), n) for q in probabilities]
