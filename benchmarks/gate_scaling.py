"""The whole ``gatewise gate`` process at growing N: is every stage linear, is memory bounded?

For each size (default 1 000 / 10 000 / 100 000 rows) it runs one gate against the stand-in at
low latency (1 ms, concurrency 256, Evidently suites) and prints wall time, the time per row,
peak RSS of the gate process and of its Evidently worker, and the per-stage times the run records in gate-result.json
(``timings_s``). Then the per-row slope between successive sizes: linear cost keeps it flat.
Also ``gatewise --help`` (best and median of 5; target <= 0.3 s).
Targets (issue 11): N = 100 000 at C = 256: peak RSS <= 500 MB, time linear in N.
Run: ``.venv/bin/python benchmarks/gate_scaling.py [--sizes 1000,10000,100000 --latency-ms 1 --concurrency 256]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _common import EXACT_MATCH, Standin, children_cpu, measured, write_gate, write_rows

GATE = [sys.executable, "-m", "gatewise"]


SUITES = EXACT_MATCH + """  - name: format
    evidently:
      - { descriptor: TextLength, name: length, max: 200 }
      - { descriptor: DoesNotContain, name: no_boilerplate, items: ["as an AI"] }
thresholds:
  correctness: { pass_rate: ">= 0.9" }
  format: { pass_rate: ">= 0.95" }
  latency_ms: { p95: "<= 5000" }
"""


def make_gate(directory: Path, data: Path, concurrency: int, url: str) -> Path:
    return write_gate(directory, data, url, SUITES, concurrency=concurrency, timeout_s=60)


def _tree(root: int) -> list[int]:
    """``root`` and every process below it, from /proc (Linux)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(parents.get(pid, ()))
    return found


def _kib(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def watched(cmd: list[str], cwd: Path) -> tuple[float, int, dict[str, int], int]:
    """Wall seconds, exit code, peak RSS (MiB) per process role (the gate, its Evidently worker)
    and the peak of their sum, polling /proc every 50 ms (VmHWM: each process's own peak)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "CI": "true"})
    # the exit time from a thread blocked in wait(), not from the 50 ms polling below: the wall
    # time is then exact, not rounded up to the next poll
    ended: list[float] = []
    waiter = threading.Thread(target=lambda: (proc.wait(), ended.append(time.perf_counter())))
    waiter.start()
    peaks: dict[int, int] = {}
    total = 0
    while waiter.is_alive():
        pids = _tree(proc.pid)
        total = max(total, sum(_kib(pid, "VmRSS") for pid in pids))
        for pid in pids:
            peaks[pid] = max(peaks.get(pid, 0), _kib(pid, "VmHWM"))
        waiter.join(0.05)
    wall = ended[0] - started
    roles = {"gate": peaks.pop(proc.pid, 0) // 1024}
    roles["worker"] = max(peaks.values(), default=0) // 1024
    return wall, proc.returncode, roles, total // 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated row counts")
    parser.add_argument("--latency-ms", type=float, default=1.0)
    parser.add_argument("--concurrency", type=int, default=256)
    parser.add_argument("--skip-help", action="store_true", help="do not time gatewise --help")
    parser.add_argument("--no-html", action="store_true", help="run the gates with --no-html (no report.html)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]

    if not args.skip_help:
        helps = sorted(measured([*GATE, "--help"], Path.cwd())[0] for _ in range(5))
        print(f"gatewise --help: best {helps[0]:.3f} s, median {statistics.median(helps):.3f} s (target <= 0.3 s)")

    runs: list[tuple[int, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        # one answer table for every size, so one stand-in serves them all
        answers = write_rows(work, max(sizes))
        server = Standin("--answers", str(answers), "--latency-ms", str(args.latency_ms))
        try:
            for n in sizes:
                run = work / f"n{n}"
                run.mkdir()
                data = run / "rows.jsonl"
                with open(answers, encoding="utf-8") as src, open(data, "w", encoding="utf-8") as dst:
                    for _, line in zip(range(n), src):
                        dst.write(line)
                config = make_gate(run, data, args.concurrency, server.url)
                cpu = children_cpu()
                wall, code, peaks, total = watched([*GATE, "gate", "--config", str(config), "--quiet",
                                                    "--out", str(run / "out"),
                                                    *(["--no-html"] if args.no_html else [])], run)
                cpu = children_cpu() - cpu
                ideal = n * args.latency_ms / 1000 / args.concurrency
                print(f"gate N={n} L={args.latency_ms:g} ms C={args.concurrency}: wall {wall:.2f} s "
                      f"({wall / n * 1e6:.0f} us/row), ideal {ideal:.2f} s, exit {code}, peak RSS: gate process "
                      f"{peaks['gate']} MiB, Evidently worker {peaks['worker']} MiB, both together {total} MiB "
                      f"(target <= 500 MB); CPU of the gate and its worker {cpu:.2f} s ({cpu / n * 1e6:.0f} us/row)")
                result = run / "out" / "gate-result.json"
                if result.exists():
                    stages = json.loads(result.read_text())["timings_s"]
                    # what the stages do not time: interpreter start-up, imports, writing the reports, exit
                    rest = wall - sum(v for k, v in stages.items() if k != "judging")
                    print(f"  stages (s): {stages}, the rest (start-up, reports, exit) {rest:.2f}")
                runs.append((n, wall))
        finally:
            server.stop()
    for (n0, t0), (n1, t1) in zip(runs, runs[1:]):
        print(f"slope {n0} -> {n1}: {(t1 - t0) / (n1 - n0) * 1e6:.0f} us/row")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
