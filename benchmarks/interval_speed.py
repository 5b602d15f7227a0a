"""Speed of the verdict's statistics: the bootstrap of one mean, every interval of a gate's metrics,
and one paired baseline comparison, at 10 000 rows x 2 000 resamples (best of 5, seconds).

Run: ``PYTHONPATH=src .venv/bin/python benchmarks/interval_speed.py [--rows 10000 --resamples 2000]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from gatewise.gate import (Observation, bootstrap_mean, bootstrap_mean_difference_distribution, metric_intervals,
                           percentile_interval)


def best_of(fn, times: int = 5) -> float:
    best = float("inf")
    for _ in range(times):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--resamples", type=int, default=2000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    values = rng.random(args.rows).tolist()
    base = (rng.random(args.rows) < 0.85).astype(float).tolist()
    cand = (rng.random(args.rows) < 0.83).astype(float).tolist()
    # a gate with one suite of two checks: five metrics with means, pass rates and percentiles
    observed = {
        name: tuple(Observation(f"r{i}", 0, v, v > 0.2, False) for i, v in enumerate(rng.random(args.rows)))
        for name in ("correctness", "correctness.exact", "format.length", "format", "latency_ms")
    }
    print(f"rows={args.rows} resamples={args.resamples}")
    print(f"bootstrap of one mean:            {best_of(lambda: bootstrap_mean(values, resamples=args.resamples)):.3f} s")
    def paired() -> None:
        draws = bootstrap_mean_difference_distribution(cand, base, paired=True, resamples=args.resamples)
        percentile_interval(draws, 0.99)

    print(f"paired difference interval:       {best_of(paired):.3f} s")
    print(f"every interval of 5 metrics:      "
          f"{best_of(lambda: metric_intervals(observed, resamples=args.resamples), 3):.3f} s")


if __name__ == "__main__":
    main()
