"""The judge's side of a gate run: check the judge, then judge each output as soon as it arrives.

Rows are judged while the model is still being called, so judging overlaps the calls; ``finish``
waits for the rest, shows progress and fails closed when the judge answered nothing usable.
"""

from __future__ import annotations

import asyncio
import time
from typing import Callable, Sequence

from .config import GateConfig, SuiteConfig
from .config._gating import gated
from .endpoint import ResponseCache, public_url
from .errors import JudgeUnreachableError
from .readable import counted
from .samples import Sample
from .scores import Score
from .terminal import Console


async def start_judging(config: GateConfig, cache: ResponseCache | None, console: Console,
                        model_concurrency: int) -> "Judging":
    """Check the judge (down: exit 3 before the model is called) and load deepeval."""
    from .suites import JudgeClient, JudgeStage

    assert config.judge is not None
    probe = JudgeClient(config.judge)
    try:
        with console.group(f"Checking judge {public_url(config.judge.base_url)}"):
            await probe.preflight()
    finally:
        await probe.aclose()
    # suites with only_if are judged after scoring, on the rows their checks passed (pipeline._gated)
    stage = JudgeStage([s for s in config.suites if not gated(s)], JudgeClient(config.judge, cache=cache))
    stage.begin()
    stage.ask_for_steps()  # G-Eval's steps call, which every row waits for, goes out before the model's
    # the model may run this far ahead of the judge: its own concurrency in flight, and a round
    # of the judge's (measured: two rounds were 0.2 s slower at N=1000, the model racing ahead)
    return Judging(stage, backlog=model_concurrency + config.judge.concurrency)


class Judging:
    """The judge's workers for one run, with their progress shown once the calls are done.

    A fixed pool of ``backlog`` workers takes the rows as they are submitted (not a task per row:
    at 100 000 rows that is 100 000 tasks created and scheduled). ``make_room`` holds a model call
    back while ``backlog`` rows are already called for and not yet judged: when the judge is the
    slower side, a model racing ahead only takes the event loop (and its connection pool) from the
    judge's replies and delays the judge's next calls. With as many workers as the backlog has
    places, a submitted row never waits in the queue for a worker.
    """

    def __init__(self, stage, backlog: int) -> None:
        self.stage = stage
        self._room = asyncio.Semaphore(backlog)
        self._size = backlog
        self._queue: asyncio.Queue[tuple[Sample, Sequence[SuiteConfig] | None]] = asyncio.Queue()
        self._workers: list[asyncio.Task[None]] = []
        self._judged: dict[tuple[str, int], tuple[Score, ...]] = {}
        self._submitted = 0
        self._all_judged = asyncio.Event()
        self.started = time.perf_counter()
        self._early: list[Score] = []
        self._progress = None
        # sees each row's scores as the judge gives them (a run streams them to --out for --resume)
        self.on_judged: Callable[[tuple[Score, ...]], None] | None = None

    async def make_room(self) -> None:
        """Wait until the backlog has room for one more row; a judged row gives the place back."""
        await self._room.acquire()

    def submit(self, sample: Sample, only: Sequence[SuiteConfig] | None = None) -> None:
        """Judge ``sample`` on every suite of the stage, or on the suites of ``only``."""
        if not self._workers:  # started here, inside the running loop
            self._workers = [asyncio.get_running_loop().create_task(self._work()) for _ in range(self._size)]
        self._submitted += 1
        self._all_judged.clear()
        self._queue.put_nowait((sample, only))

    async def drain(self) -> None:
        """Wait until every submitted row is judged; raises what a worker raised."""
        while len(self._judged) < self._submitted:
            waiter = asyncio.ensure_future(self._all_judged.wait())
            await asyncio.wait([waiter, *self._workers], return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            for worker in self._workers:
                if worker.done():
                    worker.result()  # a worker only ends by failing: this raises its failure

    async def _work(self) -> None:
        while True:
            sample, only = await self._queue.get()
            try:
                scores = await (self.stage.judge(sample) if only is None else self.stage.judge(sample, only))
            finally:
                self._room.release()
            self._judged[(sample.row_id, sample.repeat)] = scores
            if self.on_judged is not None:
                self.on_judged(scores)
            if len(self._judged) >= self._submitted:
                self._all_judged.set()
            for score in scores:
                if self._progress is None:
                    self._early.append(score)
                else:
                    _tick(self._progress, score)

    def show_progress(self, progress) -> None:
        """Tick ``progress`` for every score given so far and from now on."""
        self._progress = progress
        for score in self._early:
            _tick(progress, score)
        self._early.clear()

    def scores_of(self, sample: Sample) -> tuple[Score, ...]:
        """The scores a drained pool gave ``sample``."""
        return self._judged[(sample.row_id, sample.repeat)]

    async def finish(self, samples: tuple[Sample, ...], console: Console,
                     timings: dict[str, float]) -> tuple[Score, ...]:
        client, suites = self.stage.client, self.stage.suites
        if not suites:  # every judge suite has only_if: the judge is asked after scoring
            return ()
        with console.group(f"Judging {counted(len(samples), 'output')} with {client.model} "
                           f"({counted(len(suites), 'suite')}, concurrency {client.config.concurrency})"):
            self.show_progress(console.progress(len(samples) * len(suites), "judged rows"))
            await self.drain()
            rows = [self._judged[(s.row_id, s.repeat)] for s in samples]
            self._progress.close()
            console.info(f"  {client.calls} judge calls, {client.cached} answers from the cache")
        timings["judging"] = time.perf_counter() - self.started
        if self.stage.judge_failed_everything:
            # like a model endpoint whose every call failed: no judge suite measured anything
            raise JudgeUnreachableError(
                f"the judge at {public_url(client.config.base_url)} gave no usable answer for any of "
                f"{self.stage.failed} judged rows; first error: {self.stage.first_failure}")
        return tuple(score for row in rows for score in row)

    async def abort(self) -> None:
        """Cancel what is left (after an error) and close the client; safe after ``finish``."""
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        await self.stage.aclose()


def _tick(progress, score: Score) -> None:
    progress.tick(score.error is None, note=score.error and f"row {score.row_id}: {score.error}")
