"""One round of ``repeats: auto``: rows sent again to one endpoint under a new repeat
index (so the response cache never answers them with the first pass's draw), each new output
judged again when a judge suite needs it."""

from __future__ import annotations

import asyncio
from typing import Callable, Sequence

from ..config import EndpointConfig
from ..dataset import Row
from ..endpoint import ResponseCache, open_endpoint, public_url
from ..readable import counted
from ..samples import Sample
from ..terminal import Console
from ._plan import GatePlan
from ._sampling import Collected, every_call_failed


async def ask_rows_again(plan: GatePlan, settings: EndpointConfig, rows: Sequence[Row], repeat: int,
                         cache: ResponseCache | None, console: Console, judge_responses: ResponseCache | None,
                         role: str = "model", on_sample: Callable[[Sample], None] | None = None) -> Collected:
    """``rows`` sent once more as ``repeat``, each answer handed to ``on_sample`` as it arrives (the
    results stream); an endpoint that answers none of them is exit 3."""
    config = plan.config
    judging = None
    if judge_responses is not None:
        from ..judging import start_judging

        judging = await start_judging(config, judge_responses, console, settings.concurrency)
    # the same cache scope as the first pass (see _sampling.collect), so a later --cache run replays it
    endpoint = open_endpoint(config, plan.dataset, cache=cache, settings=settings,
                             cache_scope=None if role == "model" else role)
    try:
        with console.group(f"Asking {role} {settings.model} again: {counted(len(rows), 'row')} (ask {repeat + 1})"):
            samples = await _sample(plan, endpoint, rows, repeat, settings.concurrency, judging, on_sample)
        scores = await judging.finish(samples, console, {}) if judging is not None else ()
    finally:
        await endpoint.aclose()
        if judging is not None:
            await judging.abort()
    prefix = "" if role == "model" else "baseline endpoint (baseline.endpoint): "
    every_call_failed(samples, public_url(settings.base_url), prefix)
    asked = (judging.stage.client.calls, judging.stage.client.cached) if judging is not None else (0, 0)
    return Collected(samples, (), scores, asked, endpoint.concurrency)


async def _sample(plan: GatePlan, endpoint, rows: Sequence[Row], repeat: int, concurrency: int,
                  judging, on_sample: Callable[[Sample], None] | None) -> tuple[Sample, ...]:
    done: list[Sample | None] = [None] * len(rows)
    jobs = iter(enumerate(rows))

    async def worker() -> None:
        for index, row in jobs:
            messages = plan.template.render(row) if plan.template is not None else ()
            if judging is not None:
                await judging.make_room()  # the judge's backlog bound, as in the first pass
            sample = await endpoint.sample(row.id, row.values, messages, repeat)
            done[index] = sample
            if on_sample is not None:
                on_sample(sample)
            if judging is not None:
                judging.submit(sample)

    # as in _sampling.sample_all: a fixed pool, a worker per row of every batch a V2 endpoint may send
    rows_per_request = getattr(getattr(endpoint, "config", None), "batch_size", 1)
    await asyncio.gather(*(worker() for _ in range(min(len(done), 2 * concurrency * rows_per_request))))
    return tuple(done)  # type: ignore[arg-type]  # every slot was filled, or gather raised
