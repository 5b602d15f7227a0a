"""``run_gate``: config -> samples -> scores -> verdict -> reports, one immutable value per stage.

Everything that can be checked without the network (pin, rows, template, columns) is checked
before the first call; the Evidently worker starts before the calls so its slow import overlaps them.
The judge, when a suite needs one, is checked before the model is called, and judges the outputs
after them.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Awaitable, Callable

from .config import EndpointConfig, GateConfig, check_columns
from .baseline import BaselineRun, load_baseline_results
from .dataset import Dataset, load_rows, verify_pin
from .endpoint import DEFAULT_CACHE_DIR, ResponseCache, check_endpoint_inputs, open_endpoint, public_url
from .errors import ConfigError, EndpointUnreachableError
from .prompting import PromptTemplate
from .result import BaselineComparison, EndpointInfo, GateResult, JudgeInfo
from .samples import Sample
from .scores import Score
from .terminal import Console


@dataclass(frozen=True)
class GatePlan:
    """What a run will do, fully checked: the output of ``prepare`` and all ``validate`` needs."""

    config: GateConfig  # with data-dependent defaults filled in (features, drift columns)
    dataset: Dataset
    template: PromptTemplate | None  # None for endpoints sent features, not prompts
    baseline_run: BaselineRun | None = None  # baseline.results, read before any call

    @property
    def calls(self) -> int:
        """Calls to the model under test (rows x repeats); a baseline endpoint gets as many again."""
        return len(self.dataset.rows) * self.config.repeats


def prepare(config: GateConfig) -> GatePlan:
    """Check everything that needs no network; raise ``InputError`` on the first problem."""
    from .suites import check_suite_inputs

    template = PromptTemplate.from_config(config) if config.prompt is not None else None
    path = config.resolve(config.dataset.path)
    sha = verify_pin(path, config.dataset.sha256, config_path=config.source)
    dataset = load_rows(path, sha256=sha, fmt=config.dataset.format, id_column=config.dataset.id_column)
    if template is not None:
        template.check_columns(dataset)
    config = check_suite_inputs(check_endpoint_inputs(config, dataset), dataset)
    for s_index, suite in enumerate(config.suites):
        for field, column in suite.judge.columns.items() if suite.judge is not None else ():
            if column not in dataset.columns:
                raise ConfigError(
                    f"judge suite {suite.name!r} reads column {column!r} as its {field}, which the dataset "
                    f"does not have (columns: {', '.join(dataset.columns)})",
                    **config.where(f"suites[{s_index}].judge.columns.{field}"),
                )
        for c_index, check in enumerate(suite.checks):
            for column in check_columns(check):
                if column not in dataset.columns:
                    field = "expected" if column != check.column else "column"
                    raise ConfigError(
                        f"check {check.label!r} reads column {column!r}, which the dataset does not have "
                        f"(columns: {', '.join(dataset.columns)})",
                        **config.where(f"suites[{s_index}].evidently[{c_index}].{field}"),
                    )
    baseline_run = None
    if config.baseline is not None and config.baseline.results is not None:
        baseline_run = load_baseline_results(config.resolve(config.baseline.results),
                                             where=config.where("baseline.results"))
    return GatePlan(config, dataset, template, baseline_run)


def run_gate(config: GateConfig, *, out_dir: str | Path | None = None, cache_dir: str | Path | None = None,
             use_cache: bool = False, judge_cache: bool = True, console: Console | None = None) -> GateResult:
    """Run the whole gate. Raises ``InputError`` (nothing called) or ``InfraError`` (no verdict).

    ``use_cache`` replays the model's cached responses (opt-in); ``judge_cache`` replays the
    judge's (on by default: same outputs, same judge, same prompt give the same verdict).
    """
    console = console or Console(quiet=True)
    timings: dict[str, float] = {}
    started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    plan = prepare(config)
    config = plan.config
    timings["prepare"] = time.perf_counter() - t0
    if config.baseline is not None and config.baseline.alias is not None:
        plan = dataclasses.replace(plan, baseline_run=_fetch_alias_results(config, console))
    elif config.baseline is not None and config.baseline.mlflow is not None:
        from .tracking import history_baseline

        plan = dataclasses.replace(plan, baseline_run=history_baseline(config, console))
    if out_dir is not None:
        _clear_stale_reports(Path(out_dir))

    # every suite but the judge's is scored by Evidently in the worker process
    evidently_suites = [s for s in config.suites if s.judge is None]
    judged = any(s.judge is not None for s in config.suites)
    with contextlib.ExitStack() as stack:
        worker = stack.enter_context(_scoring_worker()) if evidently_suites else None
        cache = ResponseCache(cache_dir or DEFAULT_CACHE_DIR) if use_cache else None
        if cache is not None:
            stack.callback(cache.close)
        judge_responses = None
        if judged:
            # --no-cache: the judge is asked afresh, and its fresh answers are still kept
            judge_responses = ResponseCache(cache_dir or DEFAULT_CACHE_DIR, read=judge_cache)
            stack.callback(judge_responses.close)

        t1 = time.perf_counter()
        samples, served, judged_scores, judge_asked, concurrency = asyncio.run(
            _collect(plan, config.endpoint, cache, console, judge_responses, timings))
        if all(not s.ok for s in samples):
            raise EndpointUnreachableError(
                f"every one of {len(samples)} calls to {public_url(config.endpoint.base_url)} failed; "
                f"first error: {samples[0].error}"
            )
        baseline_samples, baseline_judged, baseline_judge_asked = _collect_baseline(
            plan, cache, console, judge_responses, timings)
        timings["calls"] = time.perf_counter() - t1

        t2 = time.perf_counter()
        # the baseline is scored first: a cache hit for the candidate lets the worker go
        baseline_scores = (*(_baseline_row_scores(worker, baseline_samples, evidently_suites)
                             if worker is not None and baseline_samples else ()), *baseline_judged)
        cached_as = _score_key(evidently_suites, samples) if cache is not None and worker is not None else None
        scores, measures, html = _score(evidently_suites, samples, worker, cache, cached_as, console)
        scores = (*scores, *judged_scores)
        timings["scoring"] = time.perf_counter() - t2

        t3 = time.perf_counter()
        verdict_parts = _decide(plan, samples, scores, baseline_samples, baseline_scores, measures)
        timings["verdict"] = time.perf_counter() - t3
        reported = tuple(sorted({s.model_id for s in samples if s.model_id} or set(served)))
        result = GateResult(
            config_path=config.source,
            config_sha256=config.config_sha256,
            dataset_path=config.dataset.path,
            dataset_sha256=plan.dataset.sha256,
            endpoint=EndpointInfo(config.endpoint.base_url, config.endpoint.model, config.endpoint.api, reported,
                                  concurrency),
            samples=samples,
            scores=scores,
            started_at=started_at,
            timings_s={k: round(v, 3) for k, v in timings.items()},
            model_name=config.model.name if config.model else None,
            confidence_level=config.confidence.level,
            confidence_settings={"mode": config.confidence.mode, "resamples": config.confidence.resamples,
                                 "seed": config.confidence.seed},
            repeats=config.repeats,
            judge=_judge_info(config, (*judged_scores, *baseline_judged), judge_asked, baseline_judge_asked),
            **verdict_parts,
        )
        if out_dir is not None:
            _write_outputs(result, config, html, worker, cache, cached_as, Path(out_dir), console, measures)
    if config.tracking is not None:
        from .tracking import track_gate_run

        # after the reports: tracking logs them, and never changes the verdict
        track_gate_run(result, config, out_dir=out_dir, console=console)
    return result


def _fetch_alias_results(config: GateConfig, console: Console) -> BaselineRun | None:
    """The results of ``baseline.alias`` (e.g. the champion) from MLflow, or None when the model has
    no such alias yet. MLflow unreachable, or an alias whose run lost its results, is exit 3."""
    from .registry import champion_results, connect, public_uri, tracking_uri_or_default

    settings, model = config.baseline, config.model
    assert settings is not None and settings.alias is not None and model is not None
    mlflow = config.promote.mlflow if config.promote else None
    uri = tracking_uri_or_default(mlflow.tracking_uri if mlflow else None, Path(config.base_dir))
    where = f"{settings.alias} of {model.name} in MLflow at {public_uri(uri)}"
    dest = Path(tempfile.mkdtemp(prefix="gatewise-baseline-"))
    try:
        with console.group(f"Fetching the baseline: {where}"):
            path = champion_results(connect(uri), model.name, settings.alias, dest=dest)
            if path is None:
                return None
            run = load_baseline_results(path, where=config.where("baseline.alias"))
    finally:
        shutil.rmtree(dest, ignore_errors=True)
    return dataclasses.replace(run, path=where)


def _judge_info(config: GateConfig, judged: tuple[Score, ...], *asked: tuple[int, int]) -> JudgeInfo | None:
    """The judge's identity for gate-result.json, with the ids its answers named; None without one."""
    if config.judge is None or not any(s.judge is not None for s in config.suites):
        return None
    reported = tuple(sorted({s.judge_model for s in judged if s.judge_model}))
    return JudgeInfo(config.judge.base_url, config.judge.model, reported,
                     calls=sum(calls for calls, _ in asked), cached=sum(cached for _, cached in asked))


def _collect_baseline(plan: GatePlan, cache: ResponseCache | None, console: Console,
                      judge_responses: ResponseCache | None, timings: dict[str, float],
                      ) -> tuple[tuple[Sample, ...], tuple[Score, ...], tuple[int, int]]:
    """The baseline endpoint's samples, judge scores and judge (calls, cached), or empty without
    one. Down is exit 3, never "no regression"."""
    settings = plan.config.baseline
    if settings is None or settings.endpoint is None:
        return (), (), (0, 0)
    url = public_url(settings.endpoint.base_url)
    try:
        samples, _, judged, judge_asked, _ = asyncio.run(_collect(plan, settings.endpoint, cache, console,
                                                               judge_responses, {}, role="baseline"))
    except EndpointUnreachableError as exc:
        raise EndpointUnreachableError(f"baseline endpoint (baseline.endpoint): {exc}") from None
    if all(not s.ok for s in samples):
        raise EndpointUnreachableError(f"baseline endpoint (baseline.endpoint): every one of {len(samples)} "
                                       f"calls to {url} failed; first error: {samples[0].error}")
    return samples, judged, judge_asked


def _decide(plan: GatePlan, samples, scores, baseline_samples, baseline_scores, measures=()) -> dict:
    """Metrics, intervals, repeat agreement, the baseline comparison and the verdict."""
    from .gate import (aggregate_observations, compare_with_baseline, decide, metric_intervals, observations,
                       regression_results, repeat_agreement, with_dataset_metrics)

    config = plan.config
    observed = observations(config, samples, scores)
    metrics = with_dataset_metrics(config, aggregate_observations(observed), observed, measures)
    intervals = metric_intervals(observed, level=config.confidence.level, resamples=config.confidence.resamples,
                                 seed=config.confidence.seed)
    # only statistics the metrics report carry an interval (dataset-level suites report their own)
    intervals = {m: {k: v for k, v in stats.items() if k in metrics.get(m, {})} for m, stats in intervals.items()}
    intervals = {m: stats for m, stats in intervals.items() if stats}
    comparison = None
    extra: tuple = ()
    if config.baseline is not None:
        comparison = _compare(plan, observed, baseline_samples, baseline_scores, compare_with_baseline)
        line = config.where("baseline.max_regression")["line"] or config.where("baseline")["line"]
        extra = regression_results(comparison, line)
    verdict = decide(config.parsed_thresholds, metrics, samples, config.max_errors, intervals=intervals, extra=extra)
    return {"metrics": metrics, "intervals": intervals, "verdict": verdict, "baseline": comparison,
            "agreement": repeat_agreement(config, observed)}


def _compare(plan: GatePlan, observed, baseline_samples, baseline_scores, compare_with_baseline):
    from .gate import observations

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
        failed = sum(1 for s in baseline_samples if not s.ok)
        note = (f"{failed} of {len(baseline_samples)} baseline calls failed; those rows are not compared"
                if failed else None)
        return compare_with_baseline(config, observed, observations(config, baseline_samples, baseline_scores),
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


def _clear_stale_reports(out: Path) -> None:
    """Remove the reports of an earlier run: should this one stop with no verdict, nothing in
    ``out`` may pass for one. Only after the input checks, which must leave everything untouched."""
    from .report import REPORT_FILES

    for name in REPORT_FILES:
        (out / name).unlink(missing_ok=True)


def _scoring_worker():
    from .suites import ScoringWorker

    # starts importing Evidently now, in another process, while the calls run
    return ScoringWorker()


def _score_key(suites, samples) -> str:
    from . import score_cache

    return score_cache.score_key(samples, suites)


def _baseline_row_scores(worker, samples, suites) -> tuple[Score, ...]:
    """The baseline endpoint's per-row scores: Evidently checks, and the rows of the dataset-level
    suites (a classification row's right or wrong), so those suites pair row by row too."""
    return (*worker.score(samples, suites), *worker.measure(samples, suites).scores)


def _score(suites, samples, worker, cache: ResponseCache | None, key: str | None, console: Console):
    """Scores, dataset-level measures, and Evidently's HTML when it came from the cache (else None)."""
    if worker is None:
        return (), (), None
    from . import score_cache

    hit = score_cache.load(cache, key) if cache is not None and key is not None else None
    if hit is not None:
        worker.abandon()  # every output was scored before: Evidently is not needed at all
        console.info("Scores and report taken from the cache (outputs unchanged)")
        return hit
    with console.group(f"Scoring {len(samples)} samples with Evidently"):
        measured = worker.measure(samples, suites)
        return worker.score(samples, suites) + measured.scores, measured.measures, None


def _write_outputs(result: GateResult, config: GateConfig, html: str | None, worker, cache: ResponseCache | None,
                   cached_as: str | None, out: Path, console: Console, measures=()) -> None:
    from .report import HTML_FILE, write_reports

    out.mkdir(parents=True, exist_ok=True)
    with console.group(f"Writing reports to {out}"):
        if worker is not None:
            html_path = out / HTML_FILE
            if html is not None:
                html_path.write_text(html, encoding="utf-8")
            else:
                worker.write_html(result.samples, [s for s in config.suites if s.judge is None], html_path)
                if cache is not None and cached_as is not None:
                    from . import score_cache

                    # Evidently's scores only: the judge's come from its own cache, per call
                    evidently = {s.name for s in config.suites if s.judge is None}
                    score_cache.store(cache, cached_as, [s for s in result.scores if s.suite in evidently],
                                      html_path.read_text(encoding="utf-8"), measures)
        write_reports(result, out)


async def _collect(plan: GatePlan, settings: EndpointConfig, cache: ResponseCache | None, console: Console,
                   judge_responses: ResponseCache | None, timings: dict[str, float], role: str = "model",
                   ) -> tuple[tuple[Sample, ...], tuple[str, ...], tuple[Score, ...], tuple[int, int], Any]:
    """The samples, the served model ids, (with judge suites) the judge's scores and its
    (calls, cached) counts, and the endpoint's effective concurrency: each row is judged as soon as its output arrives, so judging overlaps
    the calls instead of following them."""
    config = plan.config
    judging = None
    if judge_responses is not None:
        from .judging import start_judging

        judging = await start_judging(config, judge_responses, console, settings.concurrency)
    endpoint = open_endpoint(config, plan.dataset, cache=cache, settings=settings,
                             cache_scope=None if role == "model" else role)
    repeats = config.repeats
    what = f"{len(plan.dataset.rows)} rows" + (f" x {repeats} repeats" if repeats > 1 else "")
    try:
        with console.group(f"Checking {role} endpoint {public_url(settings.base_url)}"):
            served = await endpoint.preflight()
            if served and settings.model not in served:
                console.info(f"  note: the endpoint serves {', '.join(served)}; asking for {settings.model}")
        with console.group(f"Calling {role} {settings.model} for {what} "
                           f"(concurrency {settings.concurrency})"):
            progress = console.progress(plan.calls)

            def on_sample(sample: Sample) -> None:
                progress.advance(sample)
                if judging is not None:
                    judging.submit(sample)

            samples = await _sample_all(plan, endpoint, on_sample,
                                        judging.make_room if judging is not None else None)
            progress.close()
        scores = await judging.finish(samples, console, timings) if judging is not None else ()
    finally:
        await endpoint.aclose()
        if judging is not None:
            await judging.abort()
    asked = (judging.stage.client.calls, judging.stage.client.cached) if judging is not None else (0, 0)
    return samples, served, scores, asked, endpoint.concurrency


async def _sample_all(plan: GatePlan, endpoint, on_sample: Callable[[Sample], None],
                      make_room: Callable[[], Awaitable[None]] | None = None) -> tuple[Sample, ...]:
    async def one(row, repeat: int) -> Sample:
        messages = plan.template.render(row) if plan.template is not None else ()
        if make_room is not None:
            await make_room()
        sample = await endpoint.sample(row.id, dict(row.values), messages, repeat)
        on_sample(sample)
        return sample

    # the endpoint's semaphore bounds requests in flight; tasks only wait for a slot
    return tuple(await asyncio.gather(*(one(row, repeat) for repeat in range(plan.config.repeats)
                                        for row in plan.dataset.rows)))
