"""The whole ``gatewise gate`` process against the stand-in: wall time vs the ideal N·L/C.

Runs, in one go on this machine (ratios are what to compare; the machines are shared and noisy):
  1. ``gatewise --help`` cold start (best and median of 5);
  2. a gate over N rows (default 1000) at L ms latency (100), concurrency C (32), with an
     Evidently suite; wall time, ideal N·L/C, their ratio, peak memory;
  3. the same gate again with ``--cache`` after a warm-up run: calls made and wall time;
  4. a 10 000-row gate (1 ms latency, concurrency 64) for peak memory.
The stand-in runs in its own process, so the client's cost is what is measured.
Run: ``.venv/bin/python benchmarks/gate_throughput.py [--rows 1000 --latency-ms 100 --concurrency 32]``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from _common import BIN, Standin, measured, write_rows


def make_gate(directory: Path, rows: int, concurrency: int, url: str) -> Path:
    data = write_rows(directory, rows)
    sha = hashlib.sha256(data.read_bytes()).hexdigest()
    config = directory / "gate.yaml"
    config.write_text(f"""
endpoint: {{ base_url: "{url}", model: standin-model, concurrency: {concurrency}, timeout_s: 30 }}
prompt: {{ system: "Answer briefly.", user: "Question: {{question}}" }}
dataset: {{ path: rows.jsonl, sha256: "{sha}" }}
suites:
  - name: correctness
    evidently: [ {{ descriptor: ExactMatch, expected: answer }} ]
  - name: format
    evidently:
      - {{ descriptor: TextLength, name: length, max: 200 }}
      - {{ descriptor: SentenceCount, name: sentences, max: 2 }}
      - {{ descriptor: DoesNotContain, name: no_boilerplate, items: ["as an AI"] }}
thresholds:
  correctness: {{ pass_rate: ">= 0.9" }}
  format: {{ pass_rate: ">= 0.95" }}
""", encoding="utf-8")
    return config


def timed(cmd: list[str], cwd: Path | None = None) -> tuple[float, int, int]:
    """Wall seconds, exit code, peak RSS (MiB) of the largest process in the tree."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    code = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          env={**os.environ, "CI": "true"}).returncode
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, code, max(peak, before) // 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--skip-10k", action="store_true")
    args = parser.parse_args()
    gatewise = str(BIN / "gatewise")

    helps = sorted(timed([gatewise, "--help"])[0] for _ in range(5))
    print(f"gatewise --help: best {helps[0]:.3f} s, median {statistics.median(helps):.3f} s (target <= 0.3 s)")

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        config = make_gate(work, args.rows, args.concurrency, "http://127.0.0.1:1/v1")
        server = Standin("--answers", str(work / "rows.jsonl"), "--latency-ms", str(args.latency_ms))
        try:
            config = make_gate(work, args.rows, args.concurrency, server.url)
            gate = [gatewise, "gate", "--config", str(config), "--quiet"]
            wall, code, peak = measured([*gate, "--out", str(work / "out1")], work)
            ideal = args.rows * args.latency_ms / 1000 / args.concurrency
            print(f"gate N={args.rows} L={args.latency_ms:g} ms C={args.concurrency}: wall {wall:.2f} s, "
                  f"ideal {ideal:.2f} s, ratio {wall / ideal:.2f} (target <= 1.35), exit {code}, peak RSS {peak} MiB")
            timings = json.loads((work / "out1" / "gate-result.json").read_text())["timings_s"]
            print(f"  stages: {timings}")

            cache = ["--cache", "--cache-dir", str(work / "cache")]
            timed([*gate, *cache, "--out", str(work / "warm")], work)
            wall, code, _ = timed([*gate, *cache, "--out", str(work / "out2")], work)
            counts = json.loads((work / "out2" / "gate-result.json").read_text())["counts"]
            print(f"cached re-run: wall {wall:.2f} s, calls made {counts['calls']}, cached rows {counts['cached']}, "
                  f"exit {code} (target <= 2 s with 0 calls)")
        finally:
            server.stop()

        if not args.skip_10k:
            big = work / "big"
            big.mkdir()
            answers = make_gate(big, 10_000, 64, "http://x/v1").parent / "rows.jsonl"
            server = Standin("--answers", str(answers), "--latency-ms", "1")
            try:
                config = make_gate(big, 10_000, 64, server.url)
                wall, code, peak = measured(
                    [gatewise, "gate", "--config", str(config), "--quiet", "--out", str(big / "out")], big)
                print(f"gate N=10000 L=1 ms C=64: wall {wall:.2f} s, exit {code}, peak RSS {peak} MiB (target <= 500 MB)")
            finally:
                server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
