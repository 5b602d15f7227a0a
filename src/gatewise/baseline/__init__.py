"""Baselines for the paired comparison: a previous run's results read from disk."""

from ._results import BaselineRun, load_baseline_results

__all__ = ["BaselineRun", "load_baseline_results"]
