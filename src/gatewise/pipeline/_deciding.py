"""The fourth stage: samples and scores -> the verdict. Metrics, their intervals, the repeats'
agreement, the comparison with the baseline, and pass/fail per threshold."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..endpoint import public_url
from ..result import AdaptiveRepeats, BaselineComparison, JudgeInfo, ThresholdResult
from ..samples import Sample
from ..scores import Measure, Score
from ._plan import GatePlan


@dataclass(frozen=True)
class Baseline:
    """What the baseline endpoint gave (empty for a results file or an alias, whose scores are in
    the plan), scored like the candidate."""

    samples: tuple[Sample, ...] = ()
    scores: tuple[Score, ...] = ()


def decide(plan: GatePlan, samples: tuple[Sample, ...], scores: tuple[Score, ...], baseline: Baseline,
           measures: tuple[Measure, ...] = (), adaptive: AdaptiveRepeats | None = None) -> dict[str, Any]:
    """GateResult's decision fields: metrics, intervals, verdict, baseline and agreement.

    With ``repeats: auto`` (``adaptive``), metrics and the comparison table are the first pass's (a
    row re-asked for the comparison must not weigh more than the others), except the statistic of a
    threshold that full rounds re-asked: the mean over those rounds' asks, as ``repeats: k`` would
    report it; every ask counts in the error budget; the comparison's verdict entries are the
    sequential rule's decisions."""
    from ..gate import (aggregate_observations, compare_with_baseline, decide as decide_verdict,
                        metric_intervals, observations, regression_results, repeat_agreement, with_dataset_metrics)

    config = plan.config
    every = observations(config, samples, scores)
    observed = every
    if adaptive is not None:
        observed = {**observations(config, *_first_pass(samples, scores)), "errors": every["errors"]}
        baseline = Baseline(*_first_pass(baseline.samples, baseline.scores))
    metrics = with_dataset_metrics(config, aggregate_observations(observed), observed, measures)
    intervals = metric_intervals(observed, level=config.confidence.level, resamples=config.confidence.resamples,
                                 seed=config.confidence.seed)
    if adaptive is not None:
        metrics, intervals = _reasked_thresholds(config, adaptive, every, metrics, intervals)
    # only statistics the metrics report carry an interval (dataset-level suites report their own)
    intervals = {m: {k: v for k, v in stats.items() if k in metrics.get(m, {})} for m, stats in intervals.items()}
    intervals = {m: stats for m, stats in intervals.items() if stats}
    comparison = None
    extra: tuple = ()
    if config.baseline is not None:
        comparison = _compare(plan, observed, baseline, compare_with_baseline)
        line = config.where("baseline.max_regression")["line"] or config.where("baseline")["line"]
        extra = regression_results(comparison, line)
        if adaptive is not None and adaptive.looks:
            extra = _sequential_results(adaptive, comparison, line)
    agreement = repeat_agreement(config, every)
    if adaptive is not None:
        # only re-asked rows have more than one answer: agreement over them
        asked_again = {s.row_id for s in samples if s.repeat > 0}
        agreement = repeat_agreement(config, {m: items.select(map(asked_again.__contains__, items.row_ids))
                                              for m, items in every.items()})
    verdict = decide_verdict(config.parsed_thresholds, metrics, samples if adaptive is None else
                             _first_pass(samples, ())[0], config.max_errors, intervals=intervals, extra=extra)
    return {"metrics": metrics, "intervals": intervals, "verdict": verdict, "baseline": comparison,
            "agreement": agreement}


def _reasked_thresholds(config, adaptive: AdaptiveRepeats, every, metrics, intervals):
    """``metrics`` and ``intervals`` with each re-asked threshold's statistic over the full rounds its
    rule looked at (every row asked ``looks`` times), so the verdict checks what the rule decided on."""
    from ..gate import NO_OBSERVATIONS, aggregate_observations, metric_intervals

    metrics = {name: dict(stats) for name, stats in metrics.items()}
    intervals = {name: dict(stats) for name, stats in intervals.items()}
    for look in adaptive.thresholds:
        if look.looks < 2:
            continue
        metric, statistic = look.key.rsplit(".", 1)
        items = every.get(metric, NO_OBSERVATIONS)
        rounds = {metric: items.select([asked < look.looks for asked in items.repeats])}
        metrics.setdefault(metric, {})[statistic] = aggregate_observations(rounds)[metric].get(statistic)
        ci = metric_intervals(rounds, level=config.confidence.level, resamples=config.confidence.resamples,
                              seed=config.confidence.seed).get(metric, {}).get(statistic)
        if ci is not None:
            intervals.setdefault(metric, {})[statistic] = ci
    return metrics, intervals


def _first_pass(samples, scores) -> tuple[tuple[Sample, ...], tuple[Score, ...]]:
    return tuple(s for s in samples if s.repeat == 0), tuple(s for s in scores if s.repeat == 0)


def _sequential_results(adaptive: AdaptiveRepeats, comparison: BaselineComparison,
                        line: int | None) -> tuple[ThresholdResult, ...]:
    """One verdict entry per compared suite, as the fixed rule's (``suite.mean vs baseline``), with the
    sequential rule's estimate and decision: blocked only when it decided "block"."""
    from ..config import Threshold
    from ..gate._baseline import STATISTIC

    limit = -comparison.max_regression
    out = []
    for look in adaptive.looks:
        rule = Threshold(look.metric, STATISTIC, ">=", limit, f">= {limit:g}", line, comparison.rule)
        out.append(ThresholdResult(rule, look.estimate, look.decision != "block", look.losses + look.wins))
    return tuple(out)


def _compare(plan: GatePlan, observed, baseline: Baseline, compare_with_baseline) -> BaselineComparison:
    from ..gate import observations

    config = plan.config
    settings = config.baseline
    assert settings is not None
    if settings.alias is not None and plan.baseline_run is None:
        # the first model of a name has no champion: nothing to regress from, and the gate says so
        return BaselineComparison(f"{settings.alias} of {config.model.name if config.model else '?'}", "alias",
                                  False, None, settings.max_regression, settings.confidence, settings.rule, (),
                                  f"the model has no {settings.alias!r} alias yet: nothing to compare with")
    if settings.mlflow is not None and plan.baseline_run is None:
        # the first tracked run on the branch: no history yet to regress from
        return BaselineComparison("MLflow history", "mlflow", False, None, settings.max_regression,
                                  settings.confidence, settings.rule, (),
                                  "no finished gate run in MLflow matches baseline.mlflow yet: nothing to compare with")
    if settings.endpoint is not None:
        failed = sum(1 for s in baseline.samples if not s.ok)
        note = (f"{failed} of {len(baseline.samples)} baseline calls failed; those rows are not compared"
                if failed else None)
        return compare_with_baseline(config, observed, observations(config, baseline.samples, baseline.scores),
                                     paired=True, source=public_url(settings.endpoint.base_url), kind="endpoint",
                                     dataset_sha256=plan.dataset.sha256, note=note)
    run = plan.baseline_run
    assert run is not None
    note = None
    paired = True
    if run.dataset_sha256 is None:
        note = "the baseline has no gate-result.json beside it, so its dataset pin is unknown; rows paired by id"
    elif run.dataset_sha256 != plan.dataset.sha256:
        paired = False
        note = (f"the baseline ran on another dataset (sha256 {run.dataset_sha256[:12]}, this run "
                f"{plan.dataset.sha256[:12]}): aggregates compared, rows not paired")
    kind = "mlflow" if settings.mlflow else "alias" if settings.alias else "results"
    return compare_with_baseline(config, observed, observations(config, (), run.scores), paired=paired,
                                 source=run.path, kind=kind, dataset_sha256=run.dataset_sha256, note=note)


def judge_info(plan: GatePlan, judged: tuple[Score, ...], *asked: tuple[int, int], skipped: int = 0
               ) -> JudgeInfo | None:
    """The judge's identity for gate-result.json, with the ids its answers named, and the row
    judgements ``only_if`` skipped; None without a judge."""
    config = plan.config
    if config.judge is None or not any(s.judge is not None for s in config.suites):
        return None
    reported = tuple(sorted({s.judge_model for s in judged if s.judge_model}))
    calls = sum(calls for calls, _ in asked)
    # a skipped row would have cost what a judged one did, on average
    asked_rows = sum(1 for s in judged if s.judge_model or s.error is not None)
    saved = round(skipped * calls / asked_rows) if skipped and asked_rows else 0
    return JudgeInfo(config.judge.base_url, config.judge.model, reported, calls=calls,
                     cached=sum(cached for _, cached in asked), skipped=skipped, calls_saved=saved)
