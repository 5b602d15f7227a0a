"""``run_gate``: config -> samples -> scores -> verdict -> reports, one immutable value per stage.

Everything that can be checked without the network (pin, rows, template, columns) is checked
before the first call; the Evidently worker starts before the calls so its slow import overlaps them.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from .config import GateConfig, check_columns
from .dataset import Dataset, load_rows, verify_pin
from .endpoint import DEFAULT_CACHE_DIR, ResponseCache, check_endpoint_inputs, open_endpoint, public_url
from .errors import ConfigError, EndpointUnreachableError
from .prompting import PromptTemplate
from .result import EndpointInfo, GateResult
from .samples import Sample
from .terminal import Console


@dataclass(frozen=True)
class GatePlan:
    """What a run will do, fully checked: the output of ``prepare`` and all ``validate`` needs."""

    config: GateConfig  # with data-dependent defaults filled in (features, drift columns)
    dataset: Dataset
    template: PromptTemplate | None  # None for endpoints sent features, not prompts

    @property
    def calls(self) -> int:
        return len(self.dataset.rows)


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
        for c_index, check in enumerate(suite.checks):
            for column in check_columns(check):
                if column not in dataset.columns:
                    field = "expected" if column != check.column else "column"
                    raise ConfigError(
                        f"check {check.label!r} reads column {column!r}, which the dataset does not have "
                        f"(columns: {', '.join(dataset.columns)})",
                        **config.where(f"suites[{s_index}].evidently[{c_index}].{field}"),
                    )
    return GatePlan(config, dataset, template)


def run_gate(config: GateConfig, *, out_dir: str | Path | None = None, cache_dir: str | Path | None = None,
             use_cache: bool = False, console: Console | None = None) -> GateResult:
    """Run the whole gate. Raises ``InputError`` (nothing called) or ``InfraError`` (no verdict)."""
    console = console or Console(quiet=True)
    timings: dict[str, float] = {}
    started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    plan = prepare(config)
    config = plan.config
    timings["prepare"] = time.perf_counter() - t0
    if out_dir is not None:
        _clear_stale_reports(Path(out_dir))

    with contextlib.ExitStack() as stack:
        worker = stack.enter_context(_scoring_worker()) if config.suites else None
        cache = ResponseCache(cache_dir or DEFAULT_CACHE_DIR) if use_cache else None
        if cache is not None:
            stack.callback(cache.close)

        t1 = time.perf_counter()
        samples, served = asyncio.run(_collect(plan, cache, console))
        timings["calls"] = time.perf_counter() - t1
        if all(not s.ok for s in samples):
            raise EndpointUnreachableError(
                f"every one of {len(samples)} calls to {public_url(config.endpoint.base_url)} failed; "
                f"first error: {samples[0].error}"
            )

        t2 = time.perf_counter()
        cached_as = _score_key(config, samples) if cache is not None and worker is not None else None
        scores, measures, html = _score(config, samples, worker, cache, cached_as, console)
        timings["scoring"] = time.perf_counter() - t2

        from .gate import aggregate, decide

        metrics = aggregate(config, samples, scores, measures)
        verdict = decide(config.parsed_thresholds, metrics, samples, config.max_errors)
        reported = tuple(sorted({s.model_id for s in samples if s.model_id} or set(served)))
        result = GateResult(
            config_path=config.source,
            config_sha256=config.config_sha256,
            dataset_path=config.dataset.path,
            dataset_sha256=plan.dataset.sha256,
            endpoint=EndpointInfo(config.endpoint.base_url, config.endpoint.model, config.endpoint.api, reported),
            samples=samples,
            scores=scores,
            metrics=metrics,
            verdict=verdict,
            started_at=started_at,
            timings_s={k: round(v, 3) for k, v in timings.items()},
            model_name=config.model.name if config.model else None,
        )
        if out_dir is not None:
            _write_outputs(result, config, html, worker, cache, cached_as, Path(out_dir), console, measures)
    return result


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


def _score_key(config: GateConfig, samples) -> str:
    from . import score_cache

    return score_cache.score_key(samples, config.suites)


def _score(config: GateConfig, samples, worker, cache: ResponseCache | None, key: str | None, console: Console):
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
        measured = worker.measure(samples, config.suites)
        return worker.score(samples, config.suites) + measured.scores, measured.measures, None


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
                worker.write_html(result.samples, config.suites, html_path)
                if cache is not None and cached_as is not None:
                    from . import score_cache

                    score_cache.store(cache, cached_as, result.scores, html_path.read_text(encoding="utf-8"),
                                      measures)
        write_reports(result, out)


async def _collect(plan: GatePlan, cache: ResponseCache | None, console: Console) -> tuple[tuple[Sample, ...], tuple[str, ...]]:
    config = plan.config
    endpoint = open_endpoint(config, plan.dataset, cache=cache)
    try:
        with console.group(f"Checking endpoint {public_url(config.endpoint.base_url)}"):
            served = await endpoint.preflight()
            if served and config.endpoint.model not in served:
                console.info(f"  note: the endpoint serves {', '.join(served)}; asking for {config.endpoint.model}")
        with console.group(f"Calling {config.endpoint.model} for {plan.calls} rows "
                           f"(concurrency {config.endpoint.concurrency})"):
            progress = console.progress(plan.calls)
            samples = await _sample_all(plan, endpoint, progress.advance)
            progress.close()
    finally:
        await endpoint.aclose()
    return samples, served


async def _sample_all(plan: GatePlan, endpoint,
                      on_sample: Callable[[Sample], None]) -> tuple[Sample, ...]:
    async def one(row) -> Sample:
        messages = plan.template.render(row) if plan.template is not None else ()
        sample = await endpoint.sample(row.id, dict(row.values), messages)
        on_sample(sample)
        return sample

    # the endpoint's semaphore bounds requests in flight; tasks only wait for a slot
    return tuple(await asyncio.gather(*(one(row) for row in plan.dataset.rows)))
