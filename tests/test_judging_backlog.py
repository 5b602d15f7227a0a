"""The model is held back while the judge has a full backlog, and let go as rows are judged."""

from __future__ import annotations

import asyncio

from gatewise.judging import Judging
from gatewise.samples import Sample


class HeldJudge:
    """A judge stage that answers a row only when the test says so."""

    def __init__(self) -> None:
        self.go = asyncio.Event()

    async def judge(self, sample: Sample) -> tuple:
        await self.go.wait()
        return ()


def test_model_waits_for_room_in_the_judges_backlog_and_gets_it_back_when_rows_are_judged():
    async def scenario() -> tuple[int, int]:
        stage = HeldJudge()
        judging = Judging(stage, backlog=3)
        for i in range(3):
            await judging.make_room()
            judging.submit(Sample(row_id=f"r{i}", inputs={}, messages=(), output="an answer"))
        fourth = asyncio.create_task(judging.make_room())
        await asyncio.sleep(0.05)
        held = fourth.done()
        stage.go.set()  # the judge answers: its rows leave the backlog
        await asyncio.wait_for(fourth, 5)
        await judging.drain()
        return held, fourth.done()

    held, freed = asyncio.run(scenario())
    assert held is False
    assert freed is True
