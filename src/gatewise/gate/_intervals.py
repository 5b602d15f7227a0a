"""Confidence intervals for aggregated statistics: Wilson for pass rates, order statistics for
percentiles, a seeded percentile bootstrap over rows (clusters of repeats) for means and
differences of means. numpy is imported inside the functions, off the CLI's start-up path.
"""

from __future__ import annotations

import math
from functools import lru_cache
from statistics import NormalDist
from typing import Sequence

Interval = tuple[float, float]

# resamples are drawn in blocks so 10k rows x 2000 resamples never holds 20M indices at once
_BLOCK_CELLS = 2_000_000


def z_two_sided(level: float) -> float:
    return NormalDist().inv_cdf(0.5 + level / 2.0)


def wilson(successes: float, n: int, level: float = 0.95) -> Interval | None:
    """Wilson score interval for a binomial proportion; None without trials."""
    if n <= 0:
        return None
    z = z_two_sided(level)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def quantile_interval(values: Sequence[float], q: float, level: float = 0.95) -> Interval | None:
    """Distribution-free interval for the ``q``-th percentile from order statistics.

    The ranks come from the binomial(n, q/100) distribution; exact enough for the n a gate has and
    free, where bootstrapping a percentile would sort every resample.
    """
    n = len(values)
    if n < 2:
        return None
    low, high = _ranks(n, q, level)
    ordered = sorted(values)
    return float(ordered[max(0, low - 1)]), float(ordered[min(n - 1, high)])


def _rng(seed: int):
    import numpy as np

    return np.random.default_rng(seed)


def _resampled_indices(rng, n: int, resamples: int):
    """Yield blocks of row indices, shape (block, n), drawn with replacement."""
    block = max(1, _BLOCK_CELLS // max(n, 1))
    done = 0
    while done < resamples:
        size = min(block, resamples - done)
        yield rng.integers(0, n, size=(size, n))
        done += size


@lru_cache(maxsize=2)
def _shared_indices(n: int, resamples: int, seed: int):
    """The one block of indices a seeded bootstrap of n rows draws, read-only, or None past one block.

    Every metric of a run has the same rows, resamples and seed, so they all draw the same
    indices: drawing them once gives the same intervals for less work.
    """
    if n * resamples > _BLOCK_CELLS:
        return None
    (block,) = _resampled_indices(_rng(seed), n, resamples)
    block.setflags(write=False)
    return block


def _ranks(n: int, q: float, level: float) -> list[int]:
    """0-based ranks of the two ends of the ``q``-th percentile's interval over ``n`` values."""
    from ._binomial import binomial_quantiles

    alpha = 1.0 - level
    return binomial_quantiles(n, q / 100.0, (alpha / 2, 1 - alpha / 2))


def work_ahead(n: int, *, level: float, resamples: int, seed: int, percentiles: Sequence[float]) -> None:
    """Do now what intervals over ``n`` rows need whatever their values are: the bootstrap's seeded
    draws and each percentile's order-statistic ranks, both kept for them (e.g. while a run waits on
    its endpoint). The intervals come out the same."""
    _shared_indices(n, resamples, seed)
    for q in percentiles:
        _ranks(n, q, level)


def bootstrap_cluster_mean(sums: Sequence[float], counts: Sequence[float], *, level: float = 0.95,
                           resamples: int = 2000, seed: int = 0) -> Interval | None:
    """Percentile bootstrap of ``sum(sums) / sum(counts)``, resampling clusters (rows).

    One cluster per row: ``sums`` is the total of its samples' values, ``counts`` how many samples
    it has (1 without repeats, k with ``repeats: k``), so repeats of a row move together.
    """
    return bootstrap_cluster_means([(sums, counts)], level=level, resamples=resamples, seed=seed)[0]


def bootstrap_cluster_means(clusters: Sequence[tuple[Sequence[float], Sequence[float]]], *, level: float = 0.95,
                            resamples: int = 2000, seed: int = 0) -> list[Interval | None]:
    """``bootstrap_cluster_mean`` of each ``(sums, counts)``, in one go: those resampled row by row
    over the same number of rows share the drawn rows, which are the draws each would make alone
    (the same seed and size), so the intervals are the same for one draw's cost (2000 x 100 000
    indices: most of a varied metric's cost, a latency's or a length's)."""
    import numpy as np

    out: list[Interval | None] = [None] * len(clusters)
    by_rows: dict[int, list[tuple[int, tuple]]] = {}
    for i, (sums, counts) in enumerate(clusters):
        sums_a = np.asarray(sums, dtype=float)
        counts_a = np.asarray(counts, dtype=float)
        n = len(sums_a)
        if n < 2 or counts_a.sum() <= 0:
            continue
        shared = _shared_indices(n, resamples, seed)
        if shared is None and (grouped := _distinct_rows(sums_a, counts_a)) is not None:
            out[i] = _percentiles(_grouped_means(*grouped, n, resamples, seed), level)
        elif shared is not None:
            out[i] = _percentiles(_block_means(_column_pair(sums_a, counts_a), shared), level)
        else:
            by_rows.setdefault(n, []).append((i, _column_pair(sums_a, counts_a)))
    for n, members in by_rows.items():
        means: list[list] = [[] for _ in members]
        for idx in _resampled_indices(_rng(seed), n, resamples):
            for got, (_, pair) in zip(means, members):
                got.append(_block_means(pair, idx))
        for got, (i, _) in zip(means, members):
            out[i] = _percentiles(np.concatenate(got), level)
    return out


def _column_pair(sums_a, counts_a):
    """A cluster's sums and counts as ``_block_means`` reads them, checked once, not once a block:
    each as small integers where they are whole (or None), and whether every row has one count."""
    # one sample per row (or k per row everywhere): every resample holds the same count, exactly
    same_count = bool((counts_a == counts_a[0]).all())
    return sums_a, counts_a, _small_integers(sums_a), _small_integers(counts_a), same_count


def _block_means(pair, idx):
    """The resampled means of one block of drawn rows (one row of ``idx`` per resample)."""
    import numpy as np

    sums_a, counts_a, sums_int, counts_int, same_count = pair
    total = float(len(sums_a) * counts_a[0]) if same_count else _resample_sums(counts_a, counts_int, idx)
    with np.errstate(invalid="ignore", divide="ignore"):
        return _resample_sums(sums_a, sums_int, idx) / total


def _small_integers(values):
    """``values`` as int8 or int16 when every one is a whole number that fits, else None.

    Pass/fail values and counts are: their resample sums are then gathered from 1 or 2 bytes a
    cell instead of 8 (a sixth of the time at 1 000 rows x 2 000 resamples), and come out exactly
    as the float sums do, since a sum of whole numbers below 2**53 is exact in any order."""
    import numpy as np

    if not len(values) or not np.isfinite(values).all() or not (values == np.trunc(values)).all():
        return None
    largest = float(np.abs(values).max())
    for kind in (np.int8, np.int16):
        if largest <= np.iinfo(kind).max:
            return values.astype(kind)
    return None


def _resample_sums(values, as_integers, idx):
    """Each resample's sum of ``values`` over the rows ``idx`` draws, as floats."""
    import numpy as np

    if as_integers is None:
        return values[idx].sum(axis=1)
    return as_integers[idx].sum(axis=1, dtype=np.int64).astype(float)


def _percentiles(stats, level: float) -> Interval | None:
    import numpy as np

    stats = stats[np.isfinite(stats)]
    if not len(stats):
        return None
    alpha = 1.0 - level
    low, high = np.quantile(stats, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)


# Past this many distinct (sum, count) rows, resampling rows directly is as cheap as grouping them.
_MAX_GROUPS = 256


def _distinct_rows(sums, counts):
    """``(distinct sums, their counts, how many rows have each)``, or None when rows are too varied.

    Pass/fail checks, lengths, 1-5 judge grades: most metrics take a handful of values however
    many rows there are."""
    import numpy as np

    if (counts == counts[0]).all():  # no repeats, or k everywhere: the sums alone tell rows apart
        values, sizes = np.unique(sums, return_counts=True)
        return (values, np.full(len(values), counts[0]), sizes) if len(values) <= _MAX_GROUPS else None
    pairs, sizes = np.unique(np.stack([sums, counts], axis=1), axis=0, return_counts=True)
    if len(pairs) > _MAX_GROUPS:
        return None
    return pairs[:, 0], pairs[:, 1], sizes


def _grouped_means(sums, counts, sizes, n: int, resamples: int, seed: int):
    """The bootstrap means drawn through the groups: resampling n rows with replacement takes
    each group Multinomial(n, size / n) times, which is exactly the same distribution of the
    statistic at a cost of groups x resamples instead of rows x resamples (100 000 rows x 2000
    resamples: 200 M index draws per metric, ~2 s each)."""
    import numpy as np

    taken = _rng(seed).multinomial(n, sizes / n, size=resamples)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (taken @ sums) / (taken @ counts)


def bootstrap_mean(values: Sequence[float], *, level: float = 0.95, resamples: int = 2000,
                   seed: int = 0) -> Interval | None:
    """Percentile bootstrap of the mean of independent values."""
    return bootstrap_cluster_mean(values, [1.0] * len(values), level=level, resamples=resamples, seed=seed)


def bootstrap_mean_difference_distribution(candidate: Sequence[float], baseline: Sequence[float], *,
                                           paired: bool, resamples: int = 2000, seed: int = 0):
    """Bootstrap draws of ``mean(candidate) - mean(baseline)`` (a numpy array).

    ``paired``: both lists are per-row values of the same rows, in the same order, and a resample
    draws rows, keeping each row's pair together. Otherwise each side is resampled on its own.
    """
    import numpy as np

    cand = np.asarray(candidate, dtype=float)
    base = np.asarray(baseline, dtype=float)
    rng = _rng(seed)
    if paired:
        if len(cand) != len(base):
            raise ValueError("paired values need one candidate and one baseline value per row")
        return paired_difference_draws([cand - base], resamples=resamples, seed=seed)[0]
    cand_means = np.concatenate([cand[idx].mean(axis=1) for idx in _resampled_indices(rng, len(cand), resamples)])
    base_means = np.concatenate([base[idx].mean(axis=1) for idx in _resampled_indices(rng, len(base), resamples)])
    return cand_means - base_means


def paired_difference_draws(differences: Sequence, *, resamples: int = 2000, seed: int = 0) -> list:
    """For each of several per-row differences over the same number of rows, the paired bootstrap
    draws of its mean (what ``bootstrap_mean_difference_distribution(paired=True)`` gives for it
    alone), with the rows drawn once for all of them: drawing 2000 x 100 000 indices is most of
    the cost, and every suite of a comparison has the same rows, resamples and seed."""
    import numpy as np

    arrays = [np.asarray(d, dtype=float) for d in differences]
    if len({len(a) for a in arrays}) > 1:
        raise ValueError("differences drawn together need the same number of rows")
    means: list[list] = [[] for _ in arrays]
    for idx in _resampled_indices(_rng(seed), len(arrays[0]) if arrays else 0, resamples if arrays else 0):
        for out, diff in zip(means, arrays):
            out.append(diff[idx].mean(axis=1))
    return [np.concatenate(m) for m in means]


def percentile_interval(draws, level: float) -> Interval:
    import numpy as np

    alpha = 1.0 - level
    low, high = np.quantile(draws, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)
