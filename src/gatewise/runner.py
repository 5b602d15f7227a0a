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
from .endpoint import OpenAIEndpoint, ResponseCache, public_url
from .errors import ConfigError, EndpointUnreachableError
from .prompting import PromptTemplate
from .result import EndpointInfo, GateResult
from .samples import Sample
from .terminal import Console


@dataclass(frozen=True)
class GatePlan:
    """What a run will do, fully checked: the output of ``prepare`` and all ``validate`` needs."""

    config: GateConfig
    dataset: Dataset
    template: PromptTemplate

    @property
    def calls(self) -> int:
        return len(self.dataset.rows)


def prepare(config: GateConfig) -> GatePlan:
    """Check everything that needs no network; raise ``InputError`` on the first problem."""
    template = PromptTemplate.from_config(config)
    path = config.resolve(config.dataset.path)
    sha = verify_pin(path, config.dataset.sha256, config_path=config.source)
    dataset = load_rows(path, sha256=sha, fmt=config.dataset.format, id_column=config.dataset.id_column)
    template.check_columns(dataset)
    for s_index, suite in enumerate(config.suites):
        for c_index, check in enumerate(suite.evidently):
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
    from .suites import ScoringWorker

    console = console or Console(quiet=True)
    timings: dict[str, float] = {}
    started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    plan = prepare(config)
    timings["prepare"] = time.perf_counter() - t0

    # the worker starts importing Evidently now, in another process, while the calls run
    with (ScoringWorker() if config.suites else contextlib.nullcontext()) as worker:
        t1 = time.perf_counter()
        cache = ResponseCache(cache_dir or ".gatewise-cache") if use_cache else None
        try:
            samples, served = asyncio.run(_collect(plan, cache, console))
        finally:
            if cache is not None:
                cache.close()
        timings["calls"] = time.perf_counter() - t1
        if all(not s.ok for s in samples):
            raise EndpointUnreachableError(
                f"every one of {len(samples)} calls to {public_url(config.endpoint.base_url)} failed; first error: "
                f"{samples[0].error}"
            )

        t2 = time.perf_counter()
        with console.group("Scoring"):
            scores = worker.score(samples, config.suites) if config.suites else ()
        timings["scoring"] = time.perf_counter() - t2

        from .gate import aggregate, decide

        metrics = aggregate(config, samples, scores)
        verdict = decide(config.parsed_thresholds, metrics, samples, config.max_errors)
        reported = tuple(sorted({s.model_id for s in samples if s.model_id} or set(served)))
        result = GateResult(
            config_path=config.source,
            config_sha256=config.config_sha256,
            dataset_path=config.dataset.path,
            dataset_sha256=plan.dataset.sha256,
            endpoint=EndpointInfo(config.endpoint.base_url, config.endpoint.model, config.endpoint.api, reported),
            samples=samples,
            scores=tuple(scores),
            metrics=metrics,
            verdict=verdict,
            started_at=started_at,
            timings_s={k: round(v, 3) for k, v in timings.items()},
            model_name=config.model.name if config.model else None,
        )
        if out_dir is not None:
            t3 = time.perf_counter()
            _write_outputs(result, config, worker, Path(out_dir), console)
            timings["reports"] = time.perf_counter() - t3
    return result


def _write_outputs(result: GateResult, config: GateConfig, worker, out: Path, console: Console) -> None:
    from .report import write_reports

    out.mkdir(parents=True, exist_ok=True)
    with console.group(f"Writing reports to {out}"):
        if config.suites:
            worker.write_html(result.samples, config.suites, out / "report.html")
        write_reports(result, out)


async def _collect(plan: GatePlan, cache: ResponseCache | None, console: Console) -> tuple[tuple[Sample, ...], tuple[str, ...]]:
    config = plan.config
    endpoint = OpenAIEndpoint(config.endpoint, cache=cache)
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


async def _sample_all(plan: GatePlan, endpoint: OpenAIEndpoint,
                      on_sample: Callable[[Sample], None]) -> tuple[Sample, ...]:
    async def one(row) -> Sample:
        sample = await endpoint.sample(row.id, dict(row.values), plan.template.render(row))
        on_sample(sample)
        return sample

    # the endpoint's semaphore bounds requests in flight; tasks only wait for a slot
    return tuple(await asyncio.gather(*(one(row) for row in plan.dataset.rows)))
