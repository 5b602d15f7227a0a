"""Is the stand-in ever the bottleneck? 1000 chat calls, 100 ms latency each, 32 at a time.

The ideal wall time is 1000 / 32 * 0.1 s = 3.13 s. The same load runs twice: against a
``StandinServer`` thread in this process (as tests use it, sharing the GIL with the client) and
against ``python -m gatewise.standin`` in its own process, whose CPU time per request is the
server's true cost. Run: ``.venv/bin/python benchmarks/standin_throughput.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, TypeVar

import openai

from _common import children_cpu
from gatewise.standin import Faults, StandinServer

T = TypeVar("T")


async def _call_all(base_url: str, questions: list[str], concurrency: int) -> list[float]:
    client = openai.AsyncOpenAI(base_url=base_url, api_key="x", max_retries=0, timeout=60)
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []

    async def call(question: str) -> None:
        async with gate:
            started = time.perf_counter()
            await client.chat.completions.create(
                model="standin-model", messages=[{"role": "user", "content": f"Question: {question}\nAnswer:"}])
            latencies.append(time.perf_counter() - started)

    async with client:
        await asyncio.gather(*(call(q) for q in questions))
    return latencies


def _timed(base_url: str, questions: list[str], concurrency: int) -> tuple[float, list[float]]:
    started = time.perf_counter()
    latencies = asyncio.run(_call_all(base_url, questions, concurrency))
    return time.perf_counter() - started, sorted(latencies)


def _report(label: str, wall: float, latencies: list[float], ideal: float, requests: int) -> None:
    p50, p99 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99)]
    print(f"{label}: wall {wall:.2f} s vs ideal {ideal:.3f} s (+{100 * (wall / ideal - 1):.0f}%), "
          f"{requests / wall:.0f} req/s, per call p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--rows", type=int, default=10_000, help="size of the answer table")
    args = parser.parse_args()

    answers = {f"What is the reference answer for row number {i}?": f"answer {i}" for i in range(args.rows)}
    rows = list(answers)
    questions = [rows[i % args.rows] for i in range(args.requests)]
    ideal = args.requests / args.concurrency * args.latency_ms / 1000
    print(f"{args.requests} requests, concurrency {args.concurrency}, latency {args.latency_ms:g} ms, "
          f"{args.rows} answer rows")

    with StandinServer(answers, faults=Faults(latency_ms=args.latency_ms)) as server:
        cpu_before = time.process_time()
        wall, latencies = _timed(server.base_url, questions, args.concurrency)
        cpu = time.process_time() - cpu_before
        served = server.stats.completions
    _report("in-process StandinServer", wall, latencies, ideal, args.requests)
    # Client and server share one GIL here: CPU near wall time means the process, not the
    # server's sleeps, sets the pace.
    print(f"in-process CPU (client + server threads): {cpu:.2f} s")
    assert served == args.requests, f"server counted {served} completions"

    with tempfile.TemporaryDirectory() as tmp:
        table = Path(tmp, "answers.jsonl")
        table.write_text("".join(json.dumps({"question": q, "answer": a}) + "\n" for q, a in answers.items()))
        command = [sys.executable, "-m", "gatewise.standin", "--port", "0", "--answers", str(table),
                   "--latency-ms", str(args.latency_ms)]
        # A first child that serves nothing measures start-up CPU (imports, indexing the table).
        _serve_in_child(command, lambda base_url: None)
        startup = children_cpu()
        wall, latencies = _serve_in_child(command, lambda base_url: _timed(base_url, questions, args.concurrency))
        serving = children_cpu() - 2 * startup
    _report("separate-process server ", wall, latencies, ideal, args.requests)
    print(f"separate-process server CPU: {startup:.2f} s to start, then "
          f"{serving / args.requests * 1000:.2f} ms per request")


def _serve_in_child(command: list[str], load: Callable[[str], T]) -> T:
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    try:
        return load(process.stdout.readline().split()[-1])
    finally:
        process.terminate()
        process.wait(timeout=10)


if __name__ == "__main__":
    main()
