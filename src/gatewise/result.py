"""The verdict and the whole gate result: the immutable value every report and promotion reads.

``gate-result.json`` is this object serialised; its layout is versioned by ``SCHEMA_VERSION``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from .config import Threshold
from .endpoint import ConcurrencyStats, public_url
from .readable import counted
from .samples import Sample
from .scores import Score

SCHEMA_VERSION = "gatewise.gate-result/v1"


@dataclass(frozen=True)
class ThresholdResult:
    threshold: Threshold
    value: float | None  # None: nothing could be measured, which fails the threshold
    passed: bool
    n: int  # rows the value was computed over
    ci: tuple[float, float] | None = None  # the value's confidence interval, where it has one

    @property
    def judged_value(self) -> float | None:
        """What the target was checked against: the value, or an interval end in confident mode."""
        return self.threshold.judged_value(self.value, self.ci)

    @property
    def implicit(self) -> bool:
        """True for the ``errors.count <= max_errors`` rule that every gate carries."""
        return self.threshold.line is None and self.threshold.key == "errors.count"


@dataclass(frozen=True)
class Verdict:
    passed: bool
    results: tuple[ThresholdResult, ...]
    row_count: int
    error_count: int

    @property
    def failed(self) -> tuple[ThresholdResult, ...]:
        return tuple(r for r in self.results if not r.passed)

    @property
    def headline(self) -> str:
        if self.passed:
            return (f"PASSED: {len(self.results)} of {counted(len(self.results), 'threshold')} held over "
                    f"{counted(self.row_count, 'row')}")
        keys = [r.threshold.key for r in self.failed]
        # one line for a commit status or a terminal: name a few, count the rest
        names = ", ".join(keys[:4]) + (f", +{len(keys) - 4} more" if len(keys) > 4 else "")
        return f"FAILED: {len(self.failed)} of {counted(len(self.results), 'threshold')} did not hold ({names})"


@dataclass(frozen=True)
class SuiteAgreement:
    """How consistently a suite judged each row across ``repeats``: a row's agreement is the share of
    its repeats whose outcome (pass, fail or error) is the row's most common one."""

    suite: str
    rows: int
    agreement: float  # mean of the rows' agreement
    flaky_rows: int  # rows whose outcome differed between repeats
    row_agreement: Mapping[str, float]  # row id -> agreement

    @property
    def flakiness(self) -> float:
        return self.flaky_rows / self.rows if self.rows else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "agreement": self.agreement, "flaky_rows": self.flaky_rows,
                "flakiness": self.flakiness}


@dataclass(frozen=True)
class RowChange:
    """A row that scored lower against the candidate than against the baseline."""

    row_id: str
    baseline: float  # the row's value (share of the suite's checks passed, mean over repeats)
    candidate: float
    baseline_passed: bool
    candidate_passed: bool


@dataclass(frozen=True)
class MetricComparison:
    metric: str
    statistic: str
    baseline: float | None
    candidate: float | None
    delta: float | None  # candidate - baseline
    interval: tuple[float, float] | None  # of the delta, at the baseline's confidence
    n: int  # rows paired (unpaired: candidate rows)
    worse_count: int
    better_count: int
    worse_rows: tuple[RowChange, ...]  # the largest drops first, capped by baseline.rows_listed

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric, "statistic": self.statistic, "baseline": self.baseline,
            "candidate": self.candidate, "delta": self.delta,
            "interval": list(self.interval) if self.interval else None, "n": self.n,
            "worse_count": self.worse_count, "better_count": self.better_count,
            "worse_rows": [{"row_id": r.row_id, "baseline": r.baseline, "candidate": r.candidate,
                            "baseline_passed": r.baseline_passed, "candidate_passed": r.candidate_passed}
                           for r in self.worse_rows],
        }


@dataclass(frozen=True)
class BaselineComparison:
    source: str  # the results file, or the baseline endpoint's public URL
    kind: str  # "results" or "endpoint"
    paired: bool  # False when the datasets differ: aggregates only
    dataset_sha256: str | None
    max_regression: float
    confidence: float
    rule: str
    metrics: tuple[MetricComparison, ...]
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source, "kind": self.kind, "paired": self.paired,
            "dataset_sha256": self.dataset_sha256, "max_regression": self.max_regression,
            "confidence": self.confidence, "rule": self.rule, "note": self.note,
            "metrics": [m.to_dict() for m in self.metrics],
        }


@dataclass(frozen=True)
class SequentialLook:
    """Where one compared suite stands under ``repeats: auto`` after its last look (see
    ``gate/_sequential.py``): block, pass, or undecided (its disputed rows are asked again)."""

    metric: str
    decision: str
    looks: int  # rounds looked at (1 = the first pass only)
    losses: int  # paired observations where the candidate scored lower than the baseline
    wins: int  # ... and higher
    estimate: float | None  # mean difference, candidate minus baseline; None: no pair measured
    boundary: int | None  # losses - wins needed to block at the last look
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "decision": self.decision, "looks": self.looks, "losses": self.losses,
                "wins": self.wins, "estimate": self.estimate, "boundary": self.boundary, "reason": self.reason}


@dataclass(frozen=True)
class ThresholdLook:
    """Where one threshold stands under ``repeats: auto`` (see ``gate/_threshold_rule.py``): pass or
    fail after ``looks`` full rounds, undecided, or "first pass" when more asks cannot help (why)."""

    key: str  # the threshold, metric.statistic
    decision: str
    looks: int  # asks per row it was decided on (1 = the first pass only)
    estimate: float | None  # the mean over those asks; None when it was decided on the first pass
    half_width: float | None  # how far from the target the estimate had to be at that look
    reason: str
    reasked_rows: int = 0  # rows asked again for it (every row, once per extra look; the pilot's, if it decided)
    pilot_rows: int = 0  # rows of round 2's pilot (0: no pilot ran)

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "decision": self.decision, "looks": self.looks, "estimate": self.estimate,
                "half_width": self.half_width, "reason": self.reason, "reasked_rows": self.reasked_rows,
                "pilot_rows": self.pilot_rows}


@dataclass(frozen=True)
class AdaptiveRepeats:
    """What ``repeats: auto`` did: how many rounds, which rows were asked again and why, and the
    sequential rule's look at each compared suite."""

    max_asks: int  # the cap: asks per row, first pass included
    rounds: int  # rounds run (1: the first pass decided everything)
    reasked_rows: int  # distinct rows asked again
    extra_calls: int  # calls after the first pass, model and baseline together
    reason: str  # why rows were (or were not) asked again, in a sentence
    looks: tuple[SequentialLook, ...] = ()
    thresholds: tuple[ThresholdLook, ...] = ()  # each threshold's rule, in the config's order

    def to_dict(self) -> dict[str, Any]:
        return {"max": self.max_asks, "rounds": self.rounds, "reasked_rows": self.reasked_rows,
                "extra_calls": self.extra_calls, "reason": self.reason, "looks": [x.to_dict() for x in self.looks],
                "thresholds": [x.to_dict() for x in self.thresholds]}


@dataclass(frozen=True)
class EndpointInfo:
    """What was called, without credentials."""

    base_url: str
    model: str
    api: str
    reported_model_ids: tuple[str, ...]
    concurrency: ConcurrencyStats | None = None
    """The concurrency the calls actually had: the configured one, cut back on 429 / 503."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", public_url(self.base_url))


@dataclass(frozen=True)
class JudgeInfo:
    """Who judged the judge suites, without credentials, and how often it was asked: ``calls``
    are requests sent (retries included), ``cached`` answers replayed, over candidate and baseline."""

    base_url: str
    model: str
    reported_model_ids: tuple[str, ...]
    calls: int
    cached: int
    skipped: int = 0  # row judgements only_if skipped: the rows failed a cheaper check first
    calls_saved: int = 0  # estimated: skipped rows x the judge calls an asked row took on average

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", public_url(self.base_url))

    def to_dict(self) -> dict[str, Any]:
        out = {"base_url": self.base_url, "model": self.model,
               "reported_model_ids": list(self.reported_model_ids), "calls": self.calls, "cached": self.cached}
        if self.skipped:  # only where only_if skipped rows: results from before it read the same
            out.update(skipped=self.skipped, calls_saved=self.calls_saved)
        return out


@dataclass(frozen=True)
class GateResult:
    config_path: str
    config_sha256: str
    dataset_path: str
    dataset_sha256: str
    endpoint: EndpointInfo
    samples: tuple[Sample, ...]
    scores: tuple[Score, ...]
    metrics: Mapping[str, Mapping[str, float | None]]  # metric -> statistic -> value
    verdict: Verdict
    started_at: str  # ISO 8601, UTC
    timings_s: Mapping[str, float] = field(default_factory=dict)
    model_name: str | None = None
    intervals: Mapping[str, Mapping[str, tuple[float, float]]] = field(default_factory=dict)
    confidence_level: float = 0.95
    confidence_settings: Mapping[str, Any] = field(default_factory=dict)  # mode, resamples, seed
    repeats: int = 1
    agreement: tuple[SuiteAgreement, ...] = ()
    baseline: BaselineComparison | None = None
    judge: JudgeInfo | None = None  # None: no judge suites
    shards: int = 1  # >1: decided by ``gatewise merge`` over the rows of that many shards
    # metric -> the dataset column holding what the row should have answered (ExactMatch's expected,
    # a judge's expected_output), so failing rows show it beside the answer
    expected_columns: Mapping[str, str] = field(default_factory=dict)
    adaptive: AdaptiveRepeats | None = None  # what repeats: auto did; None with fixed repeats
    prompt_sha256: str | None = None  # the prompt sent (system text, template, columns); None for V2 features
    schema_version: str = SCHEMA_VERSION

    @property
    def passed(self) -> bool:
        return self.verdict.passed

    @property
    def exit_code(self) -> int:
        return 0 if self.verdict.passed else 1

    def scores_by_row(self) -> dict[tuple[str, int], list[Score]]:
        out: dict[tuple[str, int], list[Score]] = {}
        for score in self.scores:
            out.setdefault((score.row_id, score.repeat), []).append(score)
        return out

    def to_dict(self) -> dict[str, Any]:
        """The ``gate-result.json`` document (per-row data lives in ``results.jsonl``)."""
        return {
            "schema_version": self.schema_version,
            "passed": self.verdict.passed,
            "headline": self.verdict.headline,
            "model_name": self.model_name,
            "config": {"path": self.config_path, "sha256": self.config_sha256},
            "dataset": {"path": self.dataset_path, "sha256": self.dataset_sha256,
                        "rows": self.verdict.row_count},
            # lineage of what was sent: registered with the model version (absent for V2 features)
            **({"prompt": {"sha256": self.prompt_sha256}} if self.prompt_sha256 else {}),
            "endpoint": {
                "base_url": self.endpoint.base_url,
                "model": self.endpoint.model,
                "api": self.endpoint.api,
                "reported_model_ids": list(self.endpoint.reported_model_ids),
                "concurrency": self.endpoint.concurrency.to_dict() if self.endpoint.concurrency else None,
            },
            "judge": self.judge.to_dict() if self.judge else None,
            "counts": {
                "samples": len(self.samples),
                "errors": self.verdict.error_count,
                "cached": sum(1 for s in self.samples if s.cached),
                "calls": sum(s.attempts for s in self.samples if not s.cached),
                # model turns asked (a simulated conversation asks one per user turn) and the
                # function calls the answers held
                "turns": sum(s.turns for s in self.samples),
                "tool_calls": sum(len(s.tool_calls) for s in self.samples),
            },
            "metrics": {m: dict(stats) for m, stats in self.metrics.items()},
            "confidence": {"level": self.confidence_level, **self.confidence_settings},
            "intervals": {m: {stat: list(ci) for stat, ci in stats.items()} for m, stats in self.intervals.items()},
            "repeats": {"k": self.repeats, "suites": {a.suite: a.to_dict() for a in self.agreement},
                        **({"auto": self.adaptive.to_dict()} if self.adaptive is not None else {})},
            "baseline": self.baseline.to_dict() if self.baseline else None,
            "thresholds": [
                {
                    "metric": r.threshold.metric,
                    "statistic": r.threshold.statistic,
                    "expression": r.threshold.expression,
                    "op": r.threshold.op,
                    "target": r.threshold.target,
                    "value": r.value,
                    "mode": r.threshold.mode,
                    "ci": list(r.ci) if r.ci else None,
                    "n": r.n,
                    "passed": r.passed,
                    "config_line": r.threshold.line,
                    "implicit": r.implicit,
                }
                for r in self.verdict.results
            ],
            "started_at": self.started_at,
            "timings_s": dict(self.timings_s),
            # provenance only: a merged verdict is the one an unsharded run gives on the same answers
            **({"shards": self.shards} if self.shards > 1 else {}),
            "expected_columns": dict(self.expected_columns),
        }
