"""The judge's fixed pool of workers: every submitted row is judged once, and a judge stage that
raises ends the wait with its error instead of hanging the run."""

from __future__ import annotations

import asyncio

import pytest

from gatewise.judging import Judging
from gatewise.samples import Sample


class CountingJudge:
    """Answers each row after a short wait; remembers which rows it saw and how many at once."""

    def __init__(self, broken: str | None = None) -> None:
        self.seen: list[str] = []
        self.asked: dict[str, object] = {}
        self.in_flight = self.most = 0
        self.broken = broken

    async def judge(self, sample: Sample, only=None) -> tuple:
        if sample.row_id == self.broken:
            raise RuntimeError("the judge stage broke")
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        await asyncio.sleep(0.001)
        self.in_flight -= 1
        self.seen.append(sample.row_id)
        self.asked[sample.row_id] = only
        return (f"scores of {sample.row_id}",)

    async def aclose(self) -> None:
        pass


async def _submit_all(judging: Judging, rows: int) -> None:
    for i in range(rows):
        await judging.make_room()
        judging.submit(Sample(row_id=f"r{i}", inputs={}, messages=(), output="an answer"))


def test_every_row_is_judged_once_by_at_most_backlog_workers():
    async def scenario() -> CountingJudge:
        stage = CountingJudge()
        judging = Judging(stage, backlog=4)
        await _submit_all(judging, 200)
        await asyncio.wait_for(judging.drain(), 10)
        await judging.abort()
        return stage

    stage = asyncio.run(scenario())
    assert sorted(stage.seen) == sorted(f"r{i}" for i in range(200))
    assert 1 < stage.most <= 4


def test_a_judge_stage_that_raises_ends_the_wait_with_its_error():
    async def scenario() -> None:
        judging = Judging(CountingJudge(broken="r3"), backlog=2)
        await _submit_all(judging, 6)
        try:
            await asyncio.wait_for(judging.drain(), 10)
        finally:
            await judging.abort()

    with pytest.raises(RuntimeError, match="the judge stage broke"):
        asyncio.run(scenario())


def test_rows_submitted_with_their_own_suites_are_judged_on_those_only():
    """``only_if`` rows: each judged on the suites it passed the checks of, by the same bounded pool."""
    async def scenario() -> CountingJudge:
        stage = CountingJudge()
        judging = Judging(stage, backlog=3)
        rows = [Sample(row_id=f"r{i}", inputs={}, messages=(), output="an answer") for i in range(50)]
        for i, sample in enumerate(rows):
            judging.submit(sample, None if i % 2 else [f"suite-{i % 3}"])
        await asyncio.wait_for(judging.drain(), 10)
        assert [judging.scores_of(sample) for sample in rows] == [(f"scores of r{i}",) for i in range(50)]
        await judging.abort()
        return stage

    stage = asyncio.run(scenario())
    assert stage.asked == {f"r{i}": None if i % 2 else [f"suite-{i % 3}"] for i in range(50)}
    assert 1 < stage.most <= 3
