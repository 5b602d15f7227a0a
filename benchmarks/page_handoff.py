"""What report.html costs the gate process itself, after the calls: handing the samples to the
Evidently worker, waiting for the page, and closing the worker.

Each run is a fresh interpreter on one source tree (``--src``, repeat to compare trees, run
alternately): it starts the worker, waits for its import (not timed: that overlaps the calls),
then times ``start_html`` over N samples with their prompts (this process's share: packing and
pickling happen here while it decides the verdict), the wait for the page, and ``close``. Medians
over ``--rounds``; the machine's load falls on every tree alike.
Run: ``python benchmarks/page_handoff.py --src /work/main/src --src src --rows 10000 --rounds 5``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

RUN = """
import json, sys, time
from gatewise.config import SuiteConfig
from gatewise.samples import Message, Sample
from gatewise.suites import ScoringWorker

if __name__ == "__main__":
    n, page = int(sys.argv[1]), sys.argv[2]
    suites = [SuiteConfig(name="correctness", evidently=[{"descriptor": "ExactMatch", "expected": "answer"}])]
    samples = tuple(Sample(row_id=f"r{i:05d}", inputs={"id": f"r{i:05d}", "question": f"What is item number {i}?",
                                                       "answer": f"Item {i} is the number {i * 7 % 1000}."},
                           messages=(Message("system", "Answer briefly."), Message("user", f"Question: {i}?")),
                           output=f"Item {i} is the number {i * 7 % 1000}.", latency_ms=100.0) for i in range(n))
    worker = ScoringWorker()
    worker.pid  # the import is done: it overlaps the calls in a gate
    t0 = time.perf_counter()
    job = worker.start_html(samples, suites, page)
    t1 = time.perf_counter()
    job()
    t2 = time.perf_counter()
    worker.close()
    t3 = time.perf_counter()
    print(json.dumps({"start": t1 - t0, "wait": t2 - t1, "close": t3 - t2}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--src", type=Path, action="append", required=True, help="a src/ folder (repeat to compare)")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    got: dict[str, list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "handoff.py"
        script.write_text(RUN, encoding="utf-8")
        for round_ in range(args.rounds):
            trees = args.src if round_ % 2 == 0 else args.src[::-1]
            for src in trees:
                env = {**os.environ, "PYTHONPATH": str(src.resolve()), "CI": "true"}
                out = subprocess.run([sys.executable, str(script), str(args.rows), str(Path(tmp) / "report.html")],
                                     env=env, capture_output=True, text=True, check=True).stdout
                got.setdefault(str(src), []).append(json.loads(out.strip().splitlines()[-1]))
            print(f"round {round_ + 1} done, load average {os.getloadavg()[0]:.1f}", flush=True)
    print(f"\n{args.rows} samples; medians of {args.rounds} (ms): start_html (this process), wait for the page, close")
    for src, runs in got.items():
        med = {k: statistics.median(r[k] for r in runs) * 1000 for k in runs[0]}
        print(f"{src:40} start {med['start']:6.1f}  wait {med['wait']:6.1f}  close {med['close']:6.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
