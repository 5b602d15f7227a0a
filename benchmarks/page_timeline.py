"""Where report.html's time goes: one gate's timeline, page on and off, in one sitting.

Runs ``gatewise gate`` (ExactMatch, the ``small`` or ``big`` case of ``gate_before_after.py``)
against a stand-in at 100 ms a call, reads its progress lines as they come (each stamped with the
time since launch) and polls /proc every 20 ms for the CPU seconds and RSS of the gate process and
of its Evidently worker. Prints, per run: when the worker process appeared, when the calls ended,
when the reports began, when gate-result.json appeared, when the process exited; the CPU seconds
of the gate, of the endpoint and of the worker (and how much of the worker's came after the
calls); the peaks. The gap "calls end -> exit" is what the page adds after the calls; what it
adds during them shows as later "calls end" than the --no-html run's.
Run: ``python benchmarks/page_timeline.py --src src [--src OTHER/src] --case small,big --rounds 2 [--no-html-too]``.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _common import Standin, write_rows
from gate_scaling import _kib, _tree
from gate_throughput import exact_match_gate

CASES = {"small": (1000, 32), "big": (10_000, 256)}
TICK = os.sysconf("SC_CLK_TCK")


def _cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def timeline(src: Path, config: Path, out: Path, flags: tuple[str, ...], endpoint: int) -> dict[str, float]:
    endpoint_cpu = _cpu(endpoint)
    env = {**os.environ, "CI": "true", "PYTHONPATH": str(src)}
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "gatewise", "gate", "--config", str(config), "--no-cache",
                             "--out", str(out), *flags], cwd=config.parent, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    marks: dict[str, float] = {}

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            at = time.perf_counter() - started
            if "Scoring" in line or "Deciding" in line:
                marks.setdefault("calls_end", at)
            if line.startswith("Writing reports"):
                marks.setdefault("reports", at)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    gate_cpu = worker_cpu = 0.0
    worker_cpu_at_calls_end = None
    peaks = {"gate": 0, "worker": 0}
    result = out / "gate-result.json"
    while proc.poll() is None:
        pids = _tree(proc.pid)
        gate_cpu = max(gate_cpu, _cpu(proc.pid))
        workers = [p for p in pids if p != proc.pid]
        if workers:
            marks.setdefault("worker_seen", time.perf_counter() - started)
            worker_cpu = max(worker_cpu, sum(_cpu(p) for p in workers))
        if "calls_end" in marks and worker_cpu_at_calls_end is None:
            worker_cpu_at_calls_end = worker_cpu
        if "result" not in marks and result.exists():
            marks["result"] = time.perf_counter() - started
        peaks["gate"] = max(peaks["gate"], _kib(proc.pid, "VmHWM") // 1024)
        for pid in workers:
            peaks["worker"] = max(peaks["worker"], _kib(pid, "VmHWM") // 1024)
        time.sleep(0.02)
    marks["exit"] = time.perf_counter() - started
    reader.join(5)
    marks["code"] = proc.returncode
    marks["endpoint_cpu"] = _cpu(endpoint) - endpoint_cpu
    marks["gate_cpu"], marks["worker_cpu"] = gate_cpu, worker_cpu
    marks["worker_cpu_after_calls"] = worker_cpu - (worker_cpu_at_calls_end or 0.0)
    marks.update({f"peak_{k}": v for k, v in peaks.items()})
    return marks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--src", type=Path, action="append", required=True,
                        help="a src/ folder (repeat to compare trees in the same sitting)")
    parser.add_argument("--case", default="small,big")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--no-html-too", action="store_true", help="also the first tree with --no-html")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the stand-in is stopped on the way out
    cases = [c for c in args.case.split(",") if c]
    runs: dict[tuple[str, str], list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        answers = write_rows(work, max(CASES[c][0] for c in cases))
        model = Standin("--answers", str(answers), "--latency-ms", "100")
        try:
            configs = {}
            for case in cases:
                folder = work / case
                folder.mkdir()
                configs[case] = exact_match_gate(folder, write_rows(folder, CASES[case][0]), CASES[case][1], model.url)
            variants = [(f"{i}:page", src, ()) for i, src in enumerate(args.src)]
            if args.no_html_too:
                variants.append(("0:no-html", args.src[0], ("--no-html",)))
            for round_ in range(args.rounds):
                print(f"round {round_ + 1}: load average {os.getloadavg()[0]:.1f}", flush=True)
                order = variants if round_ % 2 == 0 else variants[::-1]
                for case in cases:
                    for name, src, flags in order:
                        out = work / case / f"out-{round_}-{name[0]}{len(flags)}"
                        got = timeline(src.resolve(), configs[case], out, flags, model.proc.pid)
                        runs.setdefault((case, name), []).append(got)
                        print(f"  {case:5} {name:9} " + " ".join(
                            f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in got.items()), flush=True)
        finally:
            model.stop()
    print("\ncase  variant    calls end  reports  result  exit  (exit - calls end)  worker CPU (after calls)  "
          "gate CPU  endpoint CPU  peaks")
    for (case, name), got in runs.items():
        med = {k: statistics.median(g.get(k, float("nan")) for g in got) for k in got[0]}
        print(f"{case:5} {name:9} {med.get('calls_end', float('nan')):7.2f} {med.get('reports', float('nan')):8.2f} "
              f"{med.get('result', float('nan')):7.2f} {med['exit']:5.2f}  {med['exit'] - med.get('calls_end', 0):6.2f}"
              f"  {med['worker_cpu']:5.2f} ({med['worker_cpu_after_calls']:.2f})  {med['gate_cpu']:5.2f}  "
              f"{med['endpoint_cpu']:5.2f}  {med['peak_gate']:.0f}/{med['peak_worker']:.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
