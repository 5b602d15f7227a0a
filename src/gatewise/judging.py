"""The judge's side of a gate run: check the judge, then judge each output as soon as it arrives.

Rows are judged while the model is still being called, so judging overlaps the calls; ``finish``
waits for the rest, shows progress and fails closed when the judge answered nothing usable.
"""

from __future__ import annotations

import asyncio
import time

from .config import GateConfig
from .config._gating import gated
from .endpoint import ResponseCache, public_url
from .errors import JudgeUnreachableError
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
    # the model may run this far ahead of the judge: its own concurrency in flight, and a round
    # of the judge's (measured: two rounds were 0.2 s slower at N=1000, the model racing ahead)
    return Judging(stage, backlog=model_concurrency + config.judge.concurrency)


class Judging:
    """The judge tasks of one run, keyed by row, with their progress shown once the calls are done.

    ``make_room`` holds a model call back while ``backlog`` rows are already called for and not
    yet judged: when the judge is the slower side, a model racing ahead only takes the event
    loop (and its connection pool) from the judge's replies and delays the judge's next calls.
    """

    def __init__(self, stage, backlog: int) -> None:
        self.stage = stage
        self._room = asyncio.Semaphore(backlog)
        self.tasks: dict[tuple[str, int], asyncio.Task[tuple[Score, ...]]] = {}
        self.started = time.perf_counter()
        self._early: list[Score] = []
        self._progress = None

    async def make_room(self) -> None:
        """Wait until the backlog has room for one more row; ``submit`` gives the place back."""
        await self._room.acquire()

    def submit(self, sample: Sample) -> None:
        self.tasks[(sample.row_id, sample.repeat)] = asyncio.get_running_loop().create_task(self._judge(sample))

    async def _judge(self, sample: Sample) -> tuple[Score, ...]:
        try:
            scores = await self.stage.judge(sample)
        finally:
            self._room.release()
        for score in scores:
            if self._progress is None:
                self._early.append(score)
            else:
                self._progress.tick(score.error is None, note=score.error and f"row {score.row_id}: {score.error}")
        return scores

    async def finish(self, samples: tuple[Sample, ...], console: Console,
                     timings: dict[str, float]) -> tuple[Score, ...]:
        client, suites = self.stage.client, self.stage.suites
        if not suites:  # every judge suite has only_if: the judge is asked after scoring
            return ()
        with console.group(f"Judging {len(samples)} outputs with {client.model} ({len(suites)} suite"
                           f"{'s' * (len(suites) > 1)}, concurrency {client.config.concurrency})"):
            self._progress = console.progress(len(samples) * len(suites), "judged rows")
            for score in self._early:
                self._progress.tick(score.error is None, note=score.error and f"row {score.row_id}: {score.error}")
            rows = [await self.tasks[(s.row_id, s.repeat)] for s in samples]
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
        for task in self.tasks.values():
            task.cancel()
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)
        await self.stage.aclose()
