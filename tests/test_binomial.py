"""The binomial quantiles behind a percentile's interval give what scipy.stats.binom.ppf gives."""

from __future__ import annotations

import pytest
from scipy import stats

from gatewise.gate._binomial import binomial_quantiles

# the tails an interval at 80 / 90 / 95 / 99 % asks for (computed as quantile_interval does),
# and the top of the support. Where a cumulative probability equals q to the last bit (n = 1,
# p = 0.9, q = 0.1) any two implementations may round apart; quantile_interval needs n >= 2.
TAILS = tuple(t for level in (0.8, 0.9, 0.95, 0.99) for t in ((1 - level) / 2, 1 - (1 - level) / 2)) + (1.0,)


@pytest.mark.parametrize("n", [2, 3, 7, 20, 99, 500, 1000, 1001, 4999, 20000])
@pytest.mark.parametrize("p", [0.0, 0.01, 0.05, 0.1, 0.5, 0.9, 0.95, 0.99, 1.0])
def test_binomial_quantiles_match_scipy(n, p):
    assert binomial_quantiles(n, p, TAILS) == [int(stats.binom.ppf(q, n, p)) for q in TAILS]


def test_binomial_quantiles_refuse_what_has_no_quantile():
    with pytest.raises(ValueError):
        binomial_quantiles(10, 1.5, (0.5,))
    with pytest.raises(ValueError):
        binomial_quantiles(10, 0.5, (0.0,))
