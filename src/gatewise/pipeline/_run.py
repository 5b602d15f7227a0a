"""``run_gate``: rows -> samples -> scores -> verdict -> reports, each stage in its own module,
each taking the value the one before returned and never reaching back.

Everything that can be checked without the network (pin, rows, template, columns) is checked
before the first call; the Evidently worker starts before the calls so its slow import overlaps
them. The judge, when a suite needs one, is checked before the model is called, and judges each
output as it arrives. Each finished call is appended to results.jsonl at once (``_stream``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from datetime import datetime, timezone
from pathlib import Path

from ..config import GateConfig
from ..endpoint import DEFAULT_CACHE_DIR, ResponseCache, public_url
from ..result import EndpointInfo, GateResult
from ..terminal import Console
from ._alias import fetch_alias_results
from ._deciding import Baseline, decide, judge_info
from ._plan import prepare
from ._sampling import collect, collect_baseline, every_call_failed
from ._scoring import baseline_row_scores, score, score_key, scoring_worker
from ._stream import ResultsStream
from ._writing import clear_stale_reports, write_outputs


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
        plan = dataclasses.replace(plan, baseline_run=fetch_alias_results(config, console))
    elif config.baseline is not None and config.baseline.mlflow is not None:
        from ..tracking import history_baseline

        plan = dataclasses.replace(plan, baseline_run=history_baseline(config, console))
    out = Path(out_dir) if out_dir is not None else None
    if out is not None:
        clear_stale_reports(out)

    # every suite but the judge's is scored by Evidently in the worker process
    evidently_suites = [s for s in config.suites if s.judge is None]
    judged = any(s.judge is not None for s in config.suites)
    with contextlib.ExitStack() as stack:
        worker = stack.enter_context(scoring_worker()) if evidently_suites else None
        cache = ResponseCache(cache_dir or DEFAULT_CACHE_DIR) if use_cache else None
        if cache is not None:
            stack.callback(cache.close)
        judge_responses = None
        if judged:
            # --no-cache: the judge is asked afresh, and its fresh answers are still kept
            judge_responses = ResponseCache(cache_dir or DEFAULT_CACHE_DIR, read=judge_cache)
            stack.callback(judge_responses.close)

        # rows -> samples
        t1 = time.perf_counter()
        with ResultsStream(out) if out is not None else contextlib.nullcontext() as stream:
            got = asyncio.run(collect(plan, config.endpoint, cache, console, judge_responses, timings,
                                      on_sample=stream.write if stream is not None else None))
        samples = got.samples
        every_call_failed(samples, public_url(config.endpoint.base_url))
        from_baseline = asyncio.run(collect_baseline(plan, cache, console, judge_responses))
        timings["calls"] = time.perf_counter() - t1

        # samples -> scores; the baseline's first: a cache hit for the candidate lets the worker go
        t2 = time.perf_counter()
        baseline = Baseline(from_baseline.samples,
                            (*baseline_row_scores(worker, from_baseline.samples, evidently_suites),
                             *from_baseline.judged))
        # repeats: auto may need the worker again for the rows it re-asks: no cached-scores shortcut
        cached_as = (score_key(evidently_suites, samples)
                     if cache is not None and worker is not None and config.repeats_auto is None else None)
        scored = score(evidently_suites, samples, worker, cache, cached_as, console)
        scores = (*scored.scores, *got.judged)
        timings["scoring"] = time.perf_counter() - t2

        # repeats: auto: disputed rows asked again while the comparison is undecided
        adaptive, reasked_judge = None, (0, 0)
        if config.repeats_auto is not None and config.baseline is not None:
            from ._adaptive import ask_until_decided

            t_auto = time.perf_counter()
            asked = ask_until_decided(plan, samples, scores, baseline, worker, evidently_suites, cache, console,
                                      judge_responses)
            samples, scores, baseline = asked.samples, asked.scores, asked.baseline
            adaptive, reasked_judge = asked.record, asked.judge_asked
            timings["reasking"] = time.perf_counter() - t_auto

        # scores -> verdict
        t3 = time.perf_counter()
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
            judge=judge_info(plan, (*got.judged, *from_baseline.judged), got.judge_asked,
                             from_baseline.judge_asked, reasked_judge),
            adaptive=adaptive,
            **decision,
        )
        # verdict -> reports
        if out is not None:
            write_outputs(result, config, scored, worker, cache, cached_as, out, console)
    if config.tracking is not None:
        from ..tracking import track_gate_run

        # after the reports: tracking logs them, and never changes the verdict
        track_gate_run(result, config, out_dir=out_dir, console=console)
    return result
