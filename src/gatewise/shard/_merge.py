"""``gatewise merge``: check that the shard directories are one gate's complete set, then decide
from all their rows together through the pipeline's own scoring, deciding and writing stages."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Sequence

from ..config import GateConfig, load_config
from ..endpoint import ConcurrencyStats
from ..errors import InputError
from ..pipeline._plan import GatePlan, prepare
from ..pipeline._run import conclude, with_baseline_run
from ..pipeline._rundir import BASELINE_FILE, RUN_FILE, Key, RunState, read_rows, read_state
from ..pipeline._sampling import NOTHING, Collected, every_call_failed
from ..pipeline._scoring import scoring_worker
from ..pipeline._writing import clear_stale_reports, write_outputs
from ..report import RESULTS_FILE
from ..result import GateResult
from ..samples import Sample
from ..scores import Score
from ._spec import shard_of_row


def merge_shards(dirs: Sequence[str | Path], out_dir: str | Path, *, config_path: str | Path | None = None,
                 console=None, tracking_uri: str | None = None, html: bool | None = None,
                 early_worker=None) -> GateResult:
    """The whole gate's result from its shards' directories, with its reports in ``out_dir``.
    ``html=False`` draws no report.html whatever the config says (``--no-html``); ``early_worker``:
    the Evidently worker the CLI started before anything was read (see ``gatewise.early_worker``).
    Shards that are not one gate's complete, consistent set are exit 2 naming the directory;
    nothing is written then."""
    from ..endpoint import public_url
    from ..terminal import Console

    console = console or Console(quiet=True)
    t0 = time.perf_counter()
    states = check_shards([Path(d) for d in dirs])
    out = Path(out_dir)
    if any(out.resolve() == d.resolve() for d, _ in states):
        raise InputError(f"--out {out} is one of the shard directories; give the whole gate's reports their own")
    first = states[0][1]
    config = _load_config(config_path or first.config_path, first, tracking_uri, html)
    evidently_suites = [s for s in config.suites if s.judge is None]
    with contextlib.ExitStack() as stack:
        # started first: Evidently's import overlaps reading the shards, as it overlaps the calls in one run
        worker = stack.enter_context(scoring_worker(evidently_suites, html=config.report.html, early=early_worker)) \
            if evidently_suites else None
        if worker is None and early_worker is not None:
            early_worker.abandon()
        plan = prepare(config)
        config = plan.config
        if plan.dataset.sha256 != first.dataset_sha256:
            raise InputError(f"{config.resolve(config.dataset.path)} has sha256 {plan.dataset.sha256[:12]}…, but "
                             f"the shards ran on {first.dataset_sha256[:12]}…; merge needs the dataset they ran on")
        judge_suites = frozenset(s.name for s in config.suites if s.judge is not None)
        got, checked = _collected(plan, states, RESULTS_FILE, judge_suites, model=True)
        from_baseline = NOTHING
        if config.baseline is not None and config.baseline.endpoint is not None:
            from_baseline, _ = _collected(plan, states, BASELINE_FILE, judge_suites, model=False)
            every_call_failed(from_baseline.samples, public_url(config.baseline.endpoint.base_url),
                              "baseline endpoint (baseline.endpoint): ")
        every_call_failed(got.samples, public_url(config.endpoint.base_url))
        timings = {"merge_read": time.perf_counter() - t0}
        plan = with_baseline_run(plan, console)
        out.mkdir(parents=True, exist_ok=True)
        clear_stale_reports(out)
        started_at = min(state.started_at for _, state in states)
        result, scored, _ = conclude(plan, got, from_baseline, worker, None, console, timings, started_at,
                                     shards=first.shard[1] if first.shard else 1, row_scores=checked)
        write_outputs(result, config, scored, worker, None, None, out, console)
    if config.tracking is not None:
        from ..tracking import track_gate_run

        track_gate_run(result, config, out_dir=out, console=console)
    return result


def check_shards(dirs: list[Path]) -> list[tuple[Path, RunState]]:
    """Every directory a finished shard of the same gate (version, config, dataset, N), each of
    1..N exactly once; the first mismatch is exit 2 naming the directory."""
    if not dirs:
        raise InputError("merge needs the shard directories (gatewise merge shard-1/ shard-2/ … --out DIR)")
    states: list[tuple[Path, RunState]] = []
    for d in dirs:
        state = read_state(d)
        if state is None:
            raise InputError(f"{d}: not a shard directory (no {RUN_FILE}); give the --out of each "
                             "`gatewise gate --shard K/N`")
        if state.shard is None:
            raise InputError(f"{d}: a whole (unsharded) gate run, not a shard; it needs no merge")
        if not state.done:
            spec = f"{state.shard[0]}/{state.shard[1]}"
            raise InputError(f"{d}: shard {spec} did not finish: its run probably failed (an endpoint or judge "
                             f"down is its exit 3; see its log); run it again with `gatewise gate --resume --shard "
                             f"{spec} --out {d}`")
        states.append((d, state))
    first_dir, first = states[0]
    seen: dict[int, Path] = {}
    for d, state in states:
        assert state.shard is not None and first.shard is not None
        for what, mine, theirs in (("gatewise version", state.version, first.version),
                                   ("config (sha256)", state.config_sha256, first.config_sha256),
                                   ("dataset pin (sha256)", state.dataset_sha256, first.dataset_sha256),
                                   ("shard count N", str(state.shard[1]), str(first.shard[1]))):
            if mine != theirs:
                raise InputError(f"{d}: its {what} is {mine[:12]}, but {first_dir} has {theirs[:12]}: "
                                 "shards of different gates cannot be merged")
        index = state.shard[0]
        if index in seen:
            raise InputError(f"{d}: shard {index}/{state.shard[1]} is given twice (also {seen[index]})")
        seen[index] = d
    count = first.shard[1] if first.shard else 1
    missing = [f"{k}/{count}" for k in range(1, count + 1) if k not in seen]
    if missing:
        # in a fan-out (an Actions matrix, ParallelFor, Argo) a shard whose run failed leaves no directory
        # to hand on, so its exit 3 reaches merge as this exit 2: say where the cause is
        which = f"shard{'s' * (len(missing) > 1)} {', '.join(missing)}"
        jobs = " ".join(f"`gatewise gate --shard {spec}`" for spec in missing)
        raise InputError(f"{which} missing: merge needs all {count} (given: {', '.join(str(d) for d, _ in states)}). "
                         f"The {'job' if len(missing) == 1 else 'jobs'} running {jobs} probably failed or "
                         "never ran: see its log for the cause (exit 3: an endpoint or judge down), "
                         "then run it again and merge")
    return sorted(states, key=lambda item: item[1].shard or (0, 0))


def _load_config(path: str | Path, state: RunState, tracking_uri: str | None, html: bool | None) -> GateConfig:
    """The config the shards ran, checked by its sha256; the URLs come from the shards (so their
    environment variables need not be set where merge runs)."""
    overrides = {"endpoint.base_url": state.endpoint.get("base_url"), "tracking.uri": tracking_uri,
                 "report.html": html}
    if state.judge:
        overrides["judge.base_url"] = state.judge.get("base_url")
    config = load_config(path, overrides=overrides)
    if config.config_sha256 != state.config_sha256:
        raise InputError(f"{path} has sha256 {config.config_sha256[:12]}…, but the shards ran a config with "
                         f"{state.config_sha256[:12]}… ({state.config_path}); give that config with --config")
    return config


def _collected(plan: GatePlan, states: list[tuple[Path, RunState]], name: str, judge_suites: frozenset[str],
               *, model: bool) -> tuple[Collected, tuple[Score, ...]]:
    """Every shard's samples (and judge scores) in the order one run gives (repeat-major, dataset
    order), and their Evidently row checks' scores in that order too."""
    repeats = plan.config.repeats
    count = states[0][1].shard[1]  # type: ignore[index]
    row_ids = {row.id for row in plan.dataset.rows}
    samples: dict[Key, Sample] = {}
    judged: dict[Key, tuple[Score, ...]] = {}
    checked: dict[Key, tuple[Score, ...]] = {}
    found_in: dict[Key, Path] = {}
    for d, state in states:
        index = state.shard[0]  # type: ignore[index]
        rows, scores, checks = read_rows(d / name, judge_suites)
        for sample in rows:
            key = (sample.row_id, sample.repeat)
            if key in samples:
                raise InputError(f"{d}: row {sample.row_id!r} (repeat {sample.repeat}) is also in {found_in[key]}")
            if sample.row_id not in row_ids or not 0 <= sample.repeat < repeats:
                raise InputError(f"{d / name}: row {sample.row_id!r} (repeat {sample.repeat}) is not in the dataset")
            if shard_of_row(sample.row_id, count) != index:
                raise InputError(f"{d / name}: row {sample.row_id!r} belongs to shard "
                                 f"{shard_of_row(sample.row_id, count)}/{count}, not {index}/{count}")
            samples[key] = sample
            found_in[key] = d
        judged.update(scores)
        checked.update(checks)
    by_index = {state.shard[0]: d for d, state in states}  # type: ignore[index]
    # every row of a shard carries its Evidently checks' scores when the config has such suites
    row_checks = any(s.judge is None and s.checks for s in plan.config.suites)
    ordered: list[Sample] = []
    for repeat in range(repeats):
        for row in plan.dataset.rows:
            sample = samples.get((row.id, repeat))
            missing_checks = model and row_checks and (row.id, repeat) not in checked
            if sample is None or (judge_suites and (row.id, repeat) not in judged) or missing_checks:
                d = by_index[shard_of_row(row.id, count)]
                what = ("an answer" if sample is None else "its checks' scores" if missing_checks
                        else "its judge scores")
                raise InputError(f"{d / name}: row {row.id!r} (repeat {repeat}) has no {what}; the shard "
                                 "directory is incomplete (run the shard again)")
            ordered.append(sample)
    scores_in_order = tuple(s for sample in ordered for s in judged.get((sample.row_id, sample.repeat), ()))
    checks_in_order = tuple(s for sample in ordered for s in checked.get((sample.row_id, sample.repeat), ()))
    if not model:
        return Collected(tuple(ordered), (), scores_in_order), ()
    served = tuple(sorted({m for _, state in states for m in state.endpoint.get("served") or ()}))
    asked = (sum(int(state.judge.get("calls") or 0) for _, state in states),
             sum(int(state.judge.get("cached") or 0) for _, state in states))
    return Collected(tuple(ordered), served, scores_in_order, asked, _concurrency(states)), checks_in_order


def _concurrency(states: list[tuple[Path, RunState]]) -> ConcurrencyStats | None:
    """The shards' effective concurrency as one: per shard, since each had its own limit; the same
    as one run's when no shard was pushed back."""
    weighted = [(state.rows, state.endpoint.get("concurrency")) for _, state in states
                if state.endpoint.get("concurrency")]
    if not weighted:
        return None
    stats = [ConcurrencyStats(int(c["configured"]), int(c["min"]), float(c["mean"]), int(c["final"]),
                              int(c["backoffs"])) for _, c in weighted]
    if all(s == stats[0] for s in stats):
        return stats[0]
    total = sum(rows for rows, _ in weighted) or 1
    return ConcurrencyStats(stats[0].configured, min(s.min for s in stats),
                            sum(rows * s.mean for (rows, _), s in zip(weighted, stats)) / total,
                            min(s.final for s in stats), sum(s.backoffs for s in stats))
