"""``run_gate``: rows -> samples -> scores -> verdict -> reports, each stage in its own module,
each taking the value the one before returned and never reaching back.

Everything that can be checked without the network (pin, rows, template, columns) is checked
before the first call; the Evidently worker starts before the calls so its slow import overlaps
them. The judge, when a suite needs one, is checked before the model is called, and judges each
output as it arrives. Each finished call is appended to results.jsonl at once (``_stream``).

``gather`` (rows -> samples) and ``conclude`` (samples -> scores -> verdict) are the two halves,
so a resumed run and ``gatewise merge`` decide through the very same code as one run.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from ..bulk import long_lived_set_aside, without_collection_pauses
from ..config import GateConfig
from ..config._expected import expected_columns
from ..errors import InputError
from ..endpoint import DEFAULT_CACHE_DIR, ResponseCache, public_url
from ..report import HTML_FILE
from ..result import EndpointInfo, GateResult
from ..scores import Score
from ..terminal import Console
from ._alias import fetch_alias_results
from ._deciding import Baseline, decide, judge_info
from ._gated import GatedJudging, judge_gated, skipped_rows
from ._plan import GatePlan, prepare
from ._rundir import JUDGED_FILE, RUN_FILE, Answers, JudgedStream, RunState, read_state, rewrite_answers, write_state
from ._sampling import Collected, collect, collect_baseline, every_call_failed
from ._scoring import Scored, baseline_row_scores, score, score_key, scoring_worker, with_row_scores
from ._stream import ResultsStream
from ._warmup import WarmUp
from ._writing import clear_stale_reports, write_outputs

if TYPE_CHECKING:  # the module starts processes: imported by the CLI only when a page will be drawn
    from ..early_worker import EarlyWorker


def run_gate(config: GateConfig, *, out_dir: str | Path | None = None, cache_dir: str | Path | None = None,
             use_cache: bool = False, judge_cache: bool = True, console: Console | None = None,
             resume: bool = False, early_worker: EarlyWorker | None = None) -> GateResult:
    """Run the whole gate. Raises ``InputError`` (nothing called) or ``InfraError`` (no verdict).

    ``use_cache`` replays the model's cached responses (opt-in); ``judge_cache`` replays the
    judge's (on by default: same outputs, same judge, same prompt give the same verdict).
    ``resume`` keeps the answers an interrupted run left in ``out_dir`` and asks only the rest.
    ``early_worker``: the Evidently worker the CLI started before reading the config; used when
    this gate needs Evidently, stopped at once when it does not (the caller stops it on errors).
    """
    console = console or Console(quiet=True)
    timings: dict[str, float] = {}
    started_at = now()
    t0 = time.perf_counter()
    plan = prepare(config)
    config = plan.config
    timings["prepare"] = time.perf_counter() - t0
    out = Path(out_dir) if out_dir is not None else None
    kept = None
    if resume:
        if out is None:
            raise InputError("--resume needs the --out directory of the run to resume")
        state, kept = resumable(plan, out, shard=None)
        started_at = state.started_at
    plan = with_baseline_run(plan, console)
    if out is not None:
        begin_run(out, plan, None, started_at, kept)

    # every suite but the judge's is scored natively, or by Evidently in the worker process
    evidently_suites = [s for s in config.suites if s.judge is None]
    html = out is not None and config.report.html
    with contextlib.ExitStack() as stack:
        worker = (stack.enter_context(scoring_worker(evidently_suites, html=html, early=early_worker))
                  if evidently_suites else None)
        if worker is None and early_worker is not None:
            early_worker.abandon()  # a judge-only gate: no Evidently at all
        cache, judge_responses = open_caches(stack, config, cache_dir, use_cache, judge_cache)

        # rows -> samples
        t1 = time.perf_counter()
        # the verdict's imports load while the calls wait (a shard, deciding nothing, does not)
        warm_up = WarmUp(plan)
        with long_lived_set_aside():
            try:
                got = gather(plan, out, cache, console, judge_responses, timings, kept, while_waiting=warm_up)
                from_baseline = asyncio.run(collect_baseline(plan, cache, console, judge_responses))
            finally:
                warm_up.wait()  # done by now, all but always; what it set aside is put back on the way out
        timings["calls"] = time.perf_counter() - t1

        result, scored, cached_as = conclude(plan, got, from_baseline, worker, cache, console, timings, started_at,
                                             html_path=out / HTML_FILE if html else None,
                                             judge_responses=judge_responses, results_dir=out)
        # verdict -> reports
        if out is not None:
            write_outputs(result, config, scored, worker, cache, cached_as, out, console)
            # the scored results.jsonl now holds the judge's scores too
            (out / JUDGED_FILE).unlink(missing_ok=True)
            state = read_state(out)
            assert state is not None
            write_state(out, dataclasses.replace(state, done=True, rows=len(plan.dataset.rows)))
    if config.tracking is not None:
        from ..tracking import track_gate_run

        # after the reports: tracking logs them, and never changes the verdict
        track_gate_run(result, config, out_dir=out_dir, console=console)
    return result


def open_caches(stack: contextlib.ExitStack, config: GateConfig, cache_dir: str | Path | None, use_cache: bool,
                judge_cache: bool) -> tuple[ResponseCache | None, ResponseCache | None]:
    """The model's response cache (``--cache`` only) and, with judge suites, the judge's, both
    closed by ``stack``. Under --no-cache the judge is asked afresh, and its answers still kept."""
    cache = ResponseCache(cache_dir or DEFAULT_CACHE_DIR) if use_cache else None
    if cache is not None:
        stack.callback(cache.close)
    judge_responses = None
    if any(s.judge is not None for s in config.suites):
        judge_responses = ResponseCache(cache_dir or DEFAULT_CACHE_DIR, read=judge_cache)
        stack.callback(judge_responses.close)
    return cache, judge_responses


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def with_baseline_run(plan: GatePlan, console: Console) -> GatePlan:
    """The plan with the baseline's results from MLflow (``baseline.alias`` / ``baseline.mlflow``)."""
    config = plan.config
    if config.baseline is not None and config.baseline.alias is not None:
        return dataclasses.replace(plan, baseline_run=fetch_alias_results(config, console))
    if config.baseline is not None and config.baseline.mlflow is not None:
        from ..tracking import history_baseline

        return dataclasses.replace(plan, baseline_run=history_baseline(config, console))
    return plan


def resumable(plan: GatePlan, out: Path, shard: tuple[int, int] | None) -> tuple[RunState, Answers]:
    """The state and the kept answers of the run in ``out``, if it is this gate's (same config,
    dataset and shard); anything else is exit 2 with nothing touched."""
    from ._rundir import load_answers

    config = plan.config
    state = read_state(out)
    if state is None:
        raise InputError(f"{out}: no {RUN_FILE}, so there is no run of this gate to resume; run it without --resume")
    what = f"{out} holds a run of"
    if state.config_sha256 != config.config_sha256:
        raise InputError(f"{what} another config (sha256 {state.config_sha256[:12]}…, {config.source} has "
                         f"{config.config_sha256[:12]}…); resume it with that config, or start afresh without "
                         "--resume")
    if state.dataset_sha256 != plan.dataset.sha256:
        raise InputError(f"{what} another dataset (sha256 {state.dataset_sha256[:12]}…, this one "
                         f"{plan.dataset.sha256[:12]}…); start afresh without --resume")
    if state.shard != shard:
        def name(spec: tuple[int, int] | None) -> str:
            return f"shard {spec[0]}/{spec[1]}" if spec else "the whole dataset (no --shard)"
        raise InputError(f"{what} {name(state.shard)}, not {name(shard)}; resume it with the same --shard")
    judge_suites = frozenset(s.name for s in config.suites if s.judge is not None)
    return state, load_answers(out, judge_suites)


def begin_run(out: Path, plan: GatePlan, shard: tuple[int, int] | None, started_at: str,
              kept: Answers | None, dataset_rows: int | None = None) -> None:
    """Clear an earlier run's reports and record this one (before any call). A resumed run first
    rewrites its kept answers, judge scores included, as one clean results.jsonl."""
    from ..report import RESULTS_FILE

    out.mkdir(parents=True, exist_ok=True)
    if kept is not None:
        rewrite_answers(out, _in_run_order(plan, kept), kept.judged)
    # only now: the rewritten results.jsonl carries every judge score worth keeping
    (out / JUDGED_FILE).unlink(missing_ok=True)
    clear_stale_reports(out, keep=(RESULTS_FILE,) if kept is not None else ())
    config = plan.config
    write_state(out, RunState(config.source, config.config_sha256, config.dataset.path, plan.dataset.sha256,
                              len(plan.dataset.rows) if dataset_rows is None else dataset_rows, shard, started_at))


def _in_run_order(plan: GatePlan, kept: Answers) -> list:
    """Kept samples of this plan's rows, in dataset order (others, e.g. a row no longer in a shard, are dropped)."""
    return [kept.samples[(row.id, repeat)] for repeat in range(plan.config.repeats) for row in plan.dataset.rows
            if (row.id, repeat) in kept.samples]


def gather(plan: GatePlan, out: Path | None, cache: ResponseCache | None, console: Console,
           judge_responses: ResponseCache | None, timings: dict[str, float], kept: Answers | None,
           while_waiting: Callable[[], object] | None = None) -> Collected:
    """Rows -> samples (and their judge scores): each streamed into ``out`` as it arrives; the
    ``kept`` ones are not asked again. An endpoint that answered nothing is exit 3.
    ``while_waiting``: called once the first request is under way (``_warmup``)."""
    config = plan.config
    kept = kept or Answers()
    with contextlib.ExitStack() as stack:
        stream = stack.enter_context(ResultsStream(out, append=True)) if out is not None else None
        judged_stream = JudgedStream(out) if out is not None and judge_responses is not None else None
        if judged_stream is not None:
            stack.callback(judged_stream.close)
        got = asyncio.run(collect(plan, config.endpoint, cache, console, judge_responses, timings,
                                  on_sample=stream.write if stream is not None else None,
                                  answered=kept.samples, judged_before=kept.judged,
                                  on_judged=judged_stream.write if judged_stream is not None else None,
                                  while_waiting=while_waiting))
    every_call_failed(got.samples, public_url(config.endpoint.base_url))
    return got


def conclude(plan: GatePlan, got: Collected, from_baseline: Collected, worker, cache: ResponseCache | None,
             console: Console, timings: dict[str, float], started_at: str, shards: int = 1,
             row_scores: tuple[Score, ...] | None = None,
             html_path: Path | None = None, judge_responses: ResponseCache | None = None,
             results_dir: Path | None = None) -> tuple[GateResult, Scored, str | None]:
    """Samples -> scores -> verdict: the ``GateResult`` of every row together, whether the samples
    came from this process, a resumed run or merged shards (``row_scores``: their rows' Evidently
    checks, scored by the shards, and their ``only_if`` judge suites, judged by the shards too).
    With ``html_path``, Evidently's page is drawn there meanwhile; with ``results_dir``, answers
    ``repeats: auto`` asks again are streamed into its results.jsonl as they arrive."""
    config = plan.config
    evidently_suites = [s for s in config.suites if s.judge is None]
    samples = got.samples
    # samples -> scores; the baseline's first: a cache hit for the candidate lets the worker go
    t2 = time.perf_counter()
    baseline_scores = baseline_row_scores(worker, from_baseline.samples, evidently_suites)
    baseline_gated = gated = GatedJudging()
    if row_scores is None:  # merged shards judged their only_if suites already
        baseline_gated = judge_gated(config, from_baseline.samples, baseline_scores, judge_responses, console)
    baseline = Baseline(from_baseline.samples, (*baseline_scores, *from_baseline.judged, *baseline_gated.scores))
    # repeats: auto may need the worker again for the rows it re-asks: no cached-scores shortcut;
    # the cached record holds report.html, which report.html: false does not draw
    cached_as = (score_key(evidently_suites, samples)
                 if cache is not None and worker is not None and config.repeats_auto is None
                 and config.report.html else None)
    if row_scores is None:
        scored = score(evidently_suites, samples, worker, cache, cached_as, console, html_path=html_path)
    else:
        scored = with_row_scores(evidently_suites, samples, worker, row_scores, console, html_path=html_path)
    timings["scoring"] = time.perf_counter() - t2
    if row_scores is None:
        # judge suites with only_if: on the rows whose checks passed, now that the checks are scored
        gated = judge_gated(config, samples, scored.scores, judge_responses, console, timings)
    scores = (*scored.scores, *got.judged, *gated.scores)

    # repeats: auto: rows asked again while a threshold or the comparison is undecided
    adaptive, reasked_judge = None, (0, 0)
    if config.repeats_auto is not None:
        from ._adaptive import ask_until_decided

        t_auto = time.perf_counter()
        asked = ask_until_decided(plan, samples, scores, baseline, worker, evidently_suites, cache, console,
                                  judge_responses, results_dir)
        samples, scores, baseline = asked.samples, asked.scores, asked.baseline
        adaptive, reasked_judge = asked.record, asked.judge_asked
        timings["reasking"] = time.perf_counter() - t_auto

    # scores -> verdict
    t3 = time.perf_counter()
    with without_collection_pauses():  # per-row observations, intervals, agreement: no cycles, many objects
        decision = decide(plan, samples, scores, baseline, scored.measures, adaptive)
    timings["verdict"] = time.perf_counter() - t3
    reported = tuple(sorted({s.model_id for s in samples if s.model_id} or set(got.served)))
    result = GateResult(
        config_path=config.source,
        config_sha256=config.config_sha256,
        dataset_path=config.dataset.path,
        dataset_sha256=plan.dataset.sha256,
        endpoint=EndpointInfo(config.endpoint.base_url, config.endpoint.model, config.endpoint.api, reported,
                              got.concurrency),
        samples=samples,
        scores=scores,
        started_at=started_at,
        timings_s={k: round(v, 3) for k, v in timings.items()},
        model_name=config.model.name if config.model else None,
        confidence_level=config.confidence.level,
        confidence_settings={"mode": config.confidence.mode, "resamples": config.confidence.resamples,
                             "seed": config.confidence.seed},
        repeats=config.repeats,
        judge=judge_info(plan, (*got.judged, *from_baseline.judged, *gated.scores, *baseline_gated.scores),
                         got.judge_asked, from_baseline.judge_asked, gated.asked, baseline_gated.asked, reasked_judge,
                         skipped=skipped_rows(config, (*got.judged, *from_baseline.judged, *gated.scores,
                                                        *baseline_gated.scores))),
        shards=shards,
        expected_columns=expected_columns(config),
        adaptive=adaptive,
        prompt_sha256=plan.template.sha256 if plan.template is not None else None,
        **decision,
    )
    return result, scored, cached_as
