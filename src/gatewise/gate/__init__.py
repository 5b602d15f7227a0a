"""From per-row scores to a decision: aggregate statistics and their intervals, repeat agreement,
the baseline comparison, then thresholds -> ``Verdict``."""

from ._aggregate import aggregate, aggregate_observations, percentile, with_dataset_metrics
from ._agreement import repeat_agreement
from ._baseline import compare_suite, compare_with_baseline, regression_blocks, regression_results
from ._confidence import STATISTICS_WITH_INTERVALS, metric_intervals, prepare_intervals
from ._intervals import (bootstrap_cluster_mean, bootstrap_mean, bootstrap_mean_difference_distribution,
                         percentile_interval, quantile_interval, wilson)
from ._observations import NO_OBSERVATIONS, Observation, Observations, observations
from ._verdict import decide, error_budget

__all__ = [
    "NO_OBSERVATIONS", "Observation", "Observations", "STATISTICS_WITH_INTERVALS", "aggregate", "aggregate_observations", "with_dataset_metrics", "bootstrap_cluster_mean",
    "bootstrap_mean", "bootstrap_mean_difference_distribution", "compare_suite", "compare_with_baseline", "decide",
    "error_budget", "metric_intervals", "observations", "percentile", "percentile_interval", "prepare_intervals", "quantile_interval",
    "regression_blocks", "regression_results", "repeat_agreement", "wilson",
]
