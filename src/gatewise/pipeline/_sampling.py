"""The second stage: rows -> samples. Every row (x repeats) is sent to the endpoint; with judge
suites each output is judged as soon as it arrives, so judging overlaps the calls."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Mapping

from ..config import EndpointConfig
from ..endpoint import ResponseCache, open_endpoint, public_url
from ..errors import EndpointUnreachableError
from ..readable import counted
from ..samples import Sample
from ..scores import Score
from ..terminal import Console
from ._plan import GatePlan

OnSample = Callable[[Sample], None]
OnJudged = Callable[[tuple[Score, ...]], None]
Key = tuple[str, int]  # (row id, repeat)


@dataclass(frozen=True, repr=False)
class Collected:
    """What one endpoint gave for every row: its samples in dataset order, the model ids it said it
    serves, (with judge suites) the judge's scores and its (calls, cached) counts, and the
    endpoint's effective concurrency (its adaptive limit's record)."""

    samples: tuple[Sample, ...]
    served: tuple[str, ...]
    judged: tuple[Score, ...] = ()
    judge_asked: tuple[int, int] = (0, 0)
    concurrency: Any = None

    def __repr__(self) -> str:
        # short: asyncio.run reprs its task, result included, when it restores the SIGINT handler
        # (an Enum lookup's error message), and 100 000 samples in full took seconds
        return f"Collected({len(self.samples)} samples, {len(self.judged)} judge scores)"


NOTHING = Collected((), ())


async def collect(plan: GatePlan, settings: EndpointConfig, cache: ResponseCache | None, console: Console,
                  judge_responses: ResponseCache | None, timings: dict[str, float], role: str = "model",
                  on_sample: OnSample | None = None, answered: Mapping[Key, Sample] | None = None,
                  judged_before: Mapping[Key, tuple[Score, ...]] | None = None,
                  on_judged: OnJudged | None = None, while_waiting: Callable[[], object] | None = None) -> Collected:
    """Call ``settings``' endpoint for every row; ``on_sample`` sees each sample as it finishes.

    A resumed run passes the samples it already has (``answered``, not asked again) and their
    judge scores (``judged_before``, not judged again); ``on_judged`` sees each row's judge scores.
    ``while_waiting`` is called once the preflight request is under way (see ``_warmup``)."""
    config = plan.config
    answered = answered or {}
    judged_before = judged_before or {}
    judging = None
    if judge_responses is not None:
        from ..judging import start_judging

        judging = await start_judging(config, judge_responses, console, settings.concurrency)
        judging.on_judged = on_judged
    endpoint = open_endpoint(config, plan.dataset, cache=cache, settings=settings,
                             cache_scope=None if role == "model" else role)
    repeats = config.repeats
    what = counted(len(plan.dataset.rows), "row") + (f" x {repeats} repeats" if repeats > 1 else "")
    if answered:
        what += f", {len(answered)} answered before"
    try:
        with console.group(f"Checking {role} endpoint {public_url(settings.base_url)}"):
            if while_waiting is not None:
                # runs at the loop's next turn: the preflight has then loaded its HTTP client and is waiting
                asyncio.get_running_loop().call_soon(while_waiting)
            served = await endpoint.preflight()
            if served and settings.model not in served:
                console.info(f"  note: the endpoint serves {', '.join(served)}; asking for {settings.model}")
        with console.group(f"Calling {role} {settings.model} for {what} "
                           f"(concurrency {settings.concurrency})"):
            progress = console.progress(plan.calls - len(answered))
            submitted: set[Key] = set()

            def judge(sample: Sample) -> None:
                assert judging is not None
                judging.submit(sample)
                submitted.add((sample.row_id, sample.repeat))

            def finished(sample: Sample) -> None:
                progress.advance(sample)
                if judging is not None:
                    judge(sample)
                if on_sample is not None:
                    on_sample(sample)

            if judging is not None:
                # answered before but killed before its judge answered: judged now
                for sample in answered.values():
                    if (sample.row_id, sample.repeat) not in judged_before:
                        await judging.make_room()
                        judge(sample)
            samples = await sample_all(plan, endpoint, finished, settings.concurrency,
                                       judging.make_room if judging is not None else None, answered)
            progress.close()
        scores = ()
        if judging is not None:
            fresh = await judging.finish(tuple(s for s in samples if (s.row_id, s.repeat) in submitted),
                                         console, timings)
            scores = _in_sample_order(samples, judged_before, fresh)
    finally:
        await endpoint.aclose()
        if judging is not None:
            await judging.abort()
    asked = (judging.stage.client.calls, judging.stage.client.cached) if judging is not None else (0, 0)
    return Collected(samples, tuple(served), scores, asked, endpoint.concurrency)


def _in_sample_order(samples: tuple[Sample, ...], before: Mapping[Key, tuple[Score, ...]],
                     fresh: tuple[Score, ...]) -> tuple[Score, ...]:
    """Judge scores row by row in the samples' order, as one uninterrupted run gives them."""
    if not before:
        return fresh
    by_key: dict[Key, list[Score]] = {}
    for score in fresh:
        by_key.setdefault((score.row_id, score.repeat), []).append(score)
    return tuple(score for s in samples
                 for score in (before.get((s.row_id, s.repeat)) or by_key.get((s.row_id, s.repeat), ())))


async def sample_all(plan: GatePlan, endpoint, on_sample: OnSample, concurrency: int,
                     make_room: Callable[[], Awaitable[None]] | None = None,
                     answered: Mapping[Key, Sample] | None = None) -> tuple[Sample, ...]:
    """Every row x repeat, repeat-major, in dataset order whatever order the calls finish in;
    the ``answered`` ones are taken as they are, not asked again."""
    rows, repeats = plan.dataset.rows, plan.config.repeats
    answered = answered or {}
    done: list[Sample | None] = [None] * (len(rows) * repeats)
    pending = []
    for index, (row, repeat) in enumerate((row, repeat) for repeat in range(repeats) for row in rows):
        if (known := answered.get((row.id, repeat))) is not None:
            done[index] = known
        else:
            pending.append((index, (row, repeat)))
    # one shared iterator: each worker takes the next call when its last one is done
    jobs = iter(pending)

    async def worker() -> None:
        for index, (row, repeat) in jobs:
            converses = plan.template is not None and plan.template.converses
            messages = plan.template.render(row) if plan.template is not None and not converses else ()
            if make_room is not None:
                await make_room()
            # the row's own mapping, not a copy per call: nothing downstream changes it
            sample = await (plan.template.ask(endpoint, row, repeat) if converses  # type: ignore[union-attr]
                            else endpoint.sample(row.id, row.values, messages, repeat))
            done[index] = sample
            on_sample(sample)

    # A fixed pool of workers, not a task per call: 100 000 tasks waiting on the endpoint's
    # semaphore cost ~2 KB each and as much scheduling. The endpoint's semaphore still bounds the
    # requests in flight; twice as many workers keep its slots full while some wait out a backoff.
    # A batching endpoint (V2's batch_size) packs the rows asked for in one turn of the loop into
    # one request, so it needs a worker per row of every batch it may have in flight.
    rows_per_request = getattr(getattr(endpoint, "config", None), "batch_size", 1)
    await asyncio.gather(*(worker() for _ in range(min(len(pending), 2 * concurrency * rows_per_request))))
    return tuple(done)  # type: ignore[arg-type]  # every slot was filled, or gather raised


async def collect_baseline(plan: GatePlan, cache: ResponseCache | None, console: Console,
                           judge_responses: ResponseCache | None) -> Collected:
    """The baseline endpoint's samples and judge scores, or nothing without one. Down is exit 3,
    never "no regression"."""
    settings = plan.config.baseline
    if settings is None or settings.endpoint is None:
        return NOTHING
    try:
        got = await collect(plan, settings.endpoint, cache, console, judge_responses, {}, role="baseline")
    except EndpointUnreachableError as exc:
        raise EndpointUnreachableError(f"baseline endpoint (baseline.endpoint): {exc}") from None
    every_call_failed(got.samples, public_url(settings.endpoint.base_url), "baseline endpoint (baseline.endpoint): ")
    return got


def every_call_failed(samples: tuple[Sample, ...], url: str, prefix: str = "") -> None:
    """An endpoint that answered no call is down: exit 3, never a verdict."""
    if all(not s.ok for s in samples):
        raise EndpointUnreachableError(f"{prefix}every one of {len(samples)} calls to {url} failed; "
                                       f"first error: {samples[0].error}")
