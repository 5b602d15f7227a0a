"""Concurrency that adapts: a run starts at the configured concurrency, halves it when the server
pushes back (429 with Retry-After, or 503), grows it back while the server answers, and reports
the concurrency it really had in gate-result.json and the summary."""

from __future__ import annotations

import asyncio
import json

import pytest

from gatewise.config import load_config
from gatewise.endpoint import AdaptiveConcurrency
from gatewise.runner import run_gate
from gatewise.standin import Faults, StandinServer

from .conftest import example_rows, write_gate

ROWS = example_rows(60)


def _gate(tmp_path, server, concurrency: int):
    config = load_config(write_gate(tmp_path, server.base_url, rows=ROWS, suites="", thresholds="",
                                    endpoint={"concurrency": concurrency, "max_retries": 10}))
    out = tmp_path / "out"
    result = run_gate(config, out_dir=out)
    return result, json.loads((out / "gate-result.json").read_text()), (out / "summary.md").read_text()


def test_rate_limits_cut_the_concurrency_and_the_run_reports_it(tmp_path, answers):
    faults = Faults(latency_ms=20, rate_limit_rate=0.25, retry_after_s=0.02, seed=3)
    with StandinServer(answers=answers, faults=faults) as server:
        result, document, summary = _gate(tmp_path, server, concurrency=16)
        stats = server.stats
    assert stats.by_fault.get("rate_limit", 0) > 0 and result.verdict.error_count == 0
    effective = document["endpoint"]["concurrency"]
    assert effective["configured"] == 16 and effective["backoffs"] >= 1
    assert 1 <= effective["min"] < 16 and effective["mean"] < 16
    # the server saw the cut: never more in flight than configured
    assert stats.peak_in_flight <= 16
    assert "concurrency cut" in summary and "configured 16" in summary


def test_a_healthy_endpoint_keeps_the_configured_concurrency(tmp_path, answers):
    with StandinServer(answers=answers, faults=Faults(latency_ms=5)) as server:
        _, document, summary = _gate(tmp_path, server, concurrency=8)
        peak = server.stats.peak_in_flight
    effective = document["endpoint"]["concurrency"]
    assert effective == {"configured": 8, "min": 8, "mean": pytest.approx(8, abs=0.05), "final": 8, "backoffs": 0}
    assert peak == 8 and "concurrency cut" not in summary


def test_503_also_cuts_and_500_does_not(tmp_path, answers):
    with StandinServer(answers=answers, faults=Faults(latency_ms=10, error_rate=0.3, seed=5)) as server:
        _, document, _ = _gate(tmp_path, server, concurrency=16)
        by_status = server.stats.by_status
    # the stand-in answers half its errors 500 and half 503; only the 503s are push-back
    assert by_status.get(503, 0) > 0 and by_status.get(500, 0) > 0
    assert document["endpoint"]["concurrency"]["backoffs"] >= 1


def _drive(limit: AdaptiveConcurrency, answers: list[bool]) -> list[int]:
    """Take and release one slot per answer (True: pushed back); the limit after each."""

    async def go() -> list[int]:
        seen = []
        for pushed_back in answers:
            token = await limit.acquire()
            limit.release(token, overloaded=pushed_back)
            seen.append(limit.limit)
        return seen

    return asyncio.run(go())


def test_push_back_halves_once_per_round_trip_and_recovery_is_gradual():
    limit = AdaptiveConcurrency(32)
    assert _drive(limit, [True]) == [16]
    # a slot taken before the cut says nothing about the new limit: no second cut
    async def stale() -> tuple[int, int]:
        early = await limit.acquire()
        late = await limit.acquire()
        limit.release(late, overloaded=True)  # taken at 16: cuts to 8
        limit.release(early, overloaded=True)  # taken before that cut: ignored
        return limit.limit, limit.stats().backoffs
    assert asyncio.run(stale()) == (8, 2)
    grown = _drive(limit, [False] * 40)
    assert grown == sorted(grown) and 8 < grown[-1] <= 32  # grows, never past the ceiling
    _drive(limit, [False] * 400)
    stats = limit.stats()
    assert (stats.final, stats.min, stats.configured) == (32, 8, 32)


def test_the_limit_never_drops_below_one_and_waiters_get_slots_in_order():
    limit = AdaptiveConcurrency(2)
    _drive(limit, [True] * 5)
    assert limit.limit == 1

    async def queue() -> list[int]:
        order: list[int] = []
        first = await limit.acquire()

        async def wait(n: int) -> None:
            token = await limit.acquire()
            order.append(n)
            limit.release(token)

        waiting = [asyncio.create_task(wait(n)) for n in range(3)]
        await asyncio.sleep(0)
        assert order == []  # the one slot is taken
        limit.release(first)
        await asyncio.gather(*waiting)
        return order

    assert asyncio.run(queue()) == [0, 1, 2]


def test_a_waiter_cancelled_while_queued_leaves_no_slot_behind():
    limit = AdaptiveConcurrency(1)

    async def go() -> int:
        held = await limit.acquire()
        waiter = asyncio.create_task(limit.acquire())
        await asyncio.sleep(0)
        waiter.cancel()
        await asyncio.gather(waiter, return_exceptions=True)
        limit.release(held)
        again = await asyncio.wait_for(limit.acquire(), 1)
        limit.release(again)
        return limit.limit

    assert asyncio.run(go()) == 1


def test_failures_that_are_not_push_back_neither_cut_nor_grow_the_limit():
    limit = AdaptiveConcurrency(16)
    _drive(limit, [True])  # 8

    async def failed() -> int:
        token = await limit.acquire()
        limit.release(token, answered=False)  # a timeout or a 500
        return limit.limit

    assert asyncio.run(failed()) == 8 and limit.stats().backoffs == 1
