"""``gatewise gate --shard K/N``: call the endpoint (and judge) for one shard's rows and leave a
partial directory that ``gatewise merge`` decides from. A shard scores and decides nothing."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

from ..bulk import long_lived_set_aside
from ..config import GateConfig
from ..endpoint import public_url
from ..errors import InputError
from ..pipeline._gated import gated_suites, judge_gated
from ..pipeline._plan import prepare
from ..pipeline._run import begin_run, gather, now, open_caches, resumable
from ..pipeline._rundir import BASELINE_FILE, JUDGED_FILE, read_state, rewrite_answers, write_state
from ..pipeline._sampling import NOTHING, Collected, collect_baseline
from ..pipeline._scoring import scoring_worker
from ..readable import counted
from ..scores import Score
from ..terminal import Console
from ._spec import ShardSpec


@dataclass(frozen=True)
class ShardRun:
    """What one shard left in its directory."""

    spec: ShardSpec
    out: Path
    rows: int  # dataset rows in this shard
    dataset_rows: int
    samples: int
    errors: int


def run_shard(config: GateConfig, spec: ShardSpec, out_dir: str | Path, *, cache_dir: str | Path | None = None,
              use_cache: bool = False, judge_cache: bool = True, console: Console | None = None,
              resume: bool = False) -> ShardRun:
    """Ask the endpoint for shard ``spec``'s rows into ``out_dir``. Raises ``InputError`` (nothing
    called) or ``InfraError`` (endpoint or judge down: the shard has no usable answers)."""
    console = console or Console(quiet=True)
    started_at = now()
    timings: dict[str, float] = {}
    if config.repeats_auto is not None:
        # each shard would re-ask on its own evidence, and merge could not decide as one run does
        raise InputError(f"{config.source}: repeats: auto decides over every row at once, so its gate cannot be "
                         "sharded; run it unsharded, or set repeats to a number to shard it")
    plan = prepare(config)
    config = plan.config
    everything = len(plan.dataset.rows)
    rows = tuple(row for row in plan.dataset.rows if spec.holds(row.id))
    plan = dataclasses.replace(plan, dataset=dataclasses.replace(plan.dataset, rows=rows))
    out = Path(out_dir)
    kept = None
    if resume:
        state, kept = resumable(plan, out, spec.pair)
        started_at = state.started_at
    # the baseline's MLflow results are fetched by merge, which decides; a shard only asks
    begin_run(out, plan, spec.pair, started_at, kept, dataset_rows=everything)
    console.info(f"Shard {spec}: {len(rows)} of {counted(everything, 'row')} (by the hash of each row id)")
    evidently_suites = [s for s in config.suites if s.judge is None]
    with contextlib.ExitStack() as stack:
        # each row's checks are scored here, in parallel across shards; Evidently's import (when a
        # check needs it) overlaps the calls as in one run. Dataset-level measures and the page: merge's.
        row_suites = [s for s in evidently_suites if s.evidently or s.tool_calls is not None]
        worker = stack.enter_context(scoring_worker(row_suites, html=False)) if evidently_suites and rows else None
        cache, judge_responses = open_caches(stack, config, cache_dir, use_cache, judge_cache)
        t1 = time.perf_counter()
        got, from_baseline = NOTHING, NOTHING
        if rows:  # a small dataset may leave a shard nothing to ask
            with long_lived_set_aside():  # the collector's passes kept off the calls' way, as in one run
                got = gather(plan, out, cache, console, judge_responses, timings, kept)
                from_baseline = asyncio.run(collect_baseline(plan, cache, console, judge_responses))
        timings["calls"] = time.perf_counter() - t1
        checked = ()
        if worker is not None:
            with console.group(f"Scoring {counted(len(got.samples), 'sample')} with Evidently"):
                checked = worker.score(got.samples, evidently_suites)
        # only_if judge suites need their rows' checks, which the shard has just scored
        gated = judge_gated(config, got.samples, checked, judge_responses, console, timings)
        if gated.scores:
            got = dataclasses.replace(got, judged=(*got.judged, *gated.scores),
                                      judge_asked=_plus(got.judge_asked, gated.asked))
        if from_baseline.samples and gated_suites(config):
            baseline_checked = worker.score(from_baseline.samples, evidently_suites) if worker is not None else ()
            baseline_gated = judge_gated(config, from_baseline.samples, baseline_checked, judge_responses, console)
            from_baseline = dataclasses.replace(from_baseline, judged=(*from_baseline.judged, *baseline_gated.scores),
                                                judge_asked=_plus(from_baseline.judge_asked, baseline_gated.asked))
    _finish(out, config, got, from_baseline, len(rows), checked)
    return ShardRun(spec, out, len(rows), everything, len(got.samples), sum(1 for s in got.samples if not s.ok))


def _finish(out: Path, config: GateConfig, got: Collected, from_baseline: Collected, rows: int,
            checked: tuple[Score, ...]) -> None:
    """The shard's answers, each with its checks' and judge scores, in dataset order; then the
    state says done (last, so a directory that says done is complete)."""
    rewrite_answers(out, got.samples, _by_row((*checked, *got.judged)))
    if config.baseline is not None and config.baseline.endpoint is not None:
        rewrite_answers(out, from_baseline.samples, _by_row(from_baseline.judged), name=BASELINE_FILE)
    (out / JUDGED_FILE).unlink(missing_ok=True)
    state = read_state(out)
    assert state is not None
    asked = [got.judge_asked, from_baseline.judge_asked]
    judge = {} if config.judge is None else {
        "base_url": public_url(config.judge.base_url), "model": config.judge.model,
        "calls": sum(calls for calls, _ in asked), "cached": sum(cached for _, cached in asked)}
    endpoint = {"base_url": public_url(config.endpoint.base_url), "model": config.endpoint.model,
                "api": config.endpoint.api, "served": list(got.served),
                "concurrency": got.concurrency.to_dict() if got.concurrency is not None else None}
    write_state(out, dataclasses.replace(state, done=True, rows=rows,
                                         endpoint=endpoint, judge=judge))


def _plus(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    return a[0] + b[0], a[1] + b[1]


def _by_row(scores) -> dict:
    rows: dict = {}
    for score in scores:
        rows.setdefault((score.row_id, score.repeat), []).append(score)
    return {key: tuple(value) for key, value in rows.items()}

