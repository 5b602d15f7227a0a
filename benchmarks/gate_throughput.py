"""The whole ``gatewise gate`` process against the stand-in: wall time vs the ideal N·L/C, beside
its floors and its nearest peer, measured in the same sitting.

Runs, in one go on this machine (ratios are what to compare; the machines are shared and noisy):
  1. ``gatewise --help`` cold start (best and median of 5);
  2. an ExactMatch gate over N rows (default 1000) at L ms latency (100), concurrency C (32):
     wall time, ideal N·L/C, their ratio, peak memory; then a bare aiohttp client, the openai SDK
     alone on its aiohttp transport, and promptfoo (``-j C``, same endpoint and rows) for the same work;
  3. the same gate again with ``--cache`` after a warm-up run: calls made and wall time;
  4. the same at N = 10 000, C = 256 (``--big-rows``, ``--big-concurrency``) with the same peers.
promptfoo runs when ``_peers.promptfoo_bin()`` finds it (``PROMPTFOO_BIN``, ``benchmarks/node_modules``
or ``npm install --prefix /tmp/gw-promptfoo promptfoo``); it is skipped with a message otherwise.
The stand-in runs in its own process, so the client's cost is what is measured.
Run: ``.venv/bin/python benchmarks/gate_throughput.py [--rows 1000 --latency-ms 100 --concurrency 32]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from _common import BIN, EXACT_MATCH, Standin, measured, write_gate, write_rows
from _peers import promptfoo, promptfoo_bin, raw_aiohttp, sdk_aiohttp


def exact_match_gate(directory: Path, data: Path, concurrency: int, url: str) -> Path:
    """An ExactMatch suite over ``data`` against the stand-in at ``url``."""
    body = EXACT_MATCH + 'thresholds:\n  correctness: { pass_rate: ">= 0.9" }\n'
    return write_gate(directory, data, url, body, concurrency=concurrency)


def timed(cmd: list[str], cwd: Path | None = None) -> tuple[float, int, int]:
    """Wall seconds, exit code, peak RSS (MiB) of the largest process in the tree."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    code = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          env={**os.environ, "CI": "true"}).returncode
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, code, max(peak, before) // 1024


def run_case(work: Path, rows: int, latency_ms: float, concurrency: int, target: str,
             cached_rerun: bool = False, peers: bool = True) -> None:
    """One row of the table: gatewise, then its floor and peer, against one stand-in process."""
    gatewise = str(BIN / "gatewise")
    work.mkdir(exist_ok=True)
    data = write_rows(work, rows)
    server = Standin("--answers", str(data), "--latency-ms", str(latency_ms))
    ideal = rows * latency_ms / 1000 / concurrency
    label = f"N={rows} L={latency_ms:g} ms C={concurrency}"
    try:
        config = exact_match_gate(work, data, concurrency, server.url)
        gate = [gatewise, "gate", "--config", str(config), "--quiet"]
        wall, code, peak = measured([*gate, "--out", str(work / "out1")], work)
        print(f"gate {label}: wall {wall:.2f} s, ideal {ideal:.2f} s, ratio {wall / ideal:.2f} ({target}), "
              f"exit {code}, peak RSS {peak} MiB")
        result = json.loads((work / "out1" / "gate-result.json").read_text())
        print(f"  stages: {result['timings_s']}")
        if "concurrency" in result["endpoint"]:
            print(f"  effective concurrency: {result['endpoint']['concurrency']}")

        if not peers:
            return
        floor, code, peak_floor = raw_aiohttp(server.url, data, concurrency, work)
        print(f"  raw aiohttp client, same work: wall {floor:.2f} s, ratio {floor / ideal:.2f}, exit {code}, "
              f"peak RSS {peak_floor} MiB; gatewise/raw {wall / floor:.2f}")
        sdk, code, peak_sdk = sdk_aiohttp(server.url, data, concurrency, work)
        print(f"  openai SDK alone (DefaultAioHttpClient), same calls: wall {sdk:.2f} s, ratio {sdk / ideal:.2f}, "
              f"exit {code}, peak RSS {peak_sdk} MiB; gatewise/SDK {wall / sdk:.2f}")
        binary = promptfoo_bin()
        if binary is None:
            print("  promptfoo: skipped (not installed: npm install --prefix /tmp/gw-promptfoo promptfoo)")
        else:
            theirs, code, peak_theirs = promptfoo(binary, server.url, data, concurrency, work / "promptfoo")
            print(f"  promptfoo eval -j {concurrency}, same work: wall {theirs:.2f} s, ratio {theirs / ideal:.2f}, "
                  f"exit {code}, peak RSS {peak_theirs} MiB; promptfoo/gatewise {theirs / wall:.2f}")

        if cached_rerun:
            cache = ["--cache", "--cache-dir", str(work / "cache")]
            timed([*gate, *cache, "--out", str(work / "warm")], work)
            wall, code, _ = timed([*gate, *cache, "--out", str(work / "out2")], work)
            counts = json.loads((work / "out2" / "gate-result.json").read_text())["counts"]
            print(f"  cached re-run: wall {wall:.2f} s, calls made {counts['calls']}, cached rows "
                  f"{counts['cached']}, exit {code} (target <= 2 s with 0 calls)")
    finally:
        server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--big-rows", type=int, default=10_000)
    parser.add_argument("--big-concurrency", type=int, default=256)
    parser.add_argument("--skip-10k", action="store_true")
    parser.add_argument("--skip-peers", action="store_true", help="gatewise only: no raw aiohttp, SDK or promptfoo")
    args = parser.parse_args()

    helps = sorted(timed([str(BIN / "gatewise"), "--help"])[0] for _ in range(5))
    print(f"gatewise --help: best {helps[0]:.3f} s, median {statistics.median(helps):.3f} s (target <= 0.3 s)")
    with tempfile.TemporaryDirectory() as tmp:
        run_case(Path(tmp) / "small", args.rows, args.latency_ms, args.concurrency,
                 "target <= 4.0 s at N=1000 C=32", cached_rerun=not args.skip_peers, peers=not args.skip_peers)
        if not args.skip_10k:
            run_case(Path(tmp) / "big", args.big_rows, args.latency_ms, args.big_concurrency,
                     "target <= 6 s and <= 300 MB at N=10000 C=256", peers=not args.skip_peers)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
