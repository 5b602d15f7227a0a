"""Two gatewise source trees, the same cases, interleaved in one sitting: what a change bought.

The cases are issue 11's table, against stand-ins at 100 ms a call (each in its own process):
  * ``small``: an ExactMatch gate, N = 1 000, C = 32 (target <= 4.0 s whole process);
  * ``big``: the same at N = 10 000, C = 256 (target <= 6 s, <= 300 MB);
  * ``judge``: a G-Eval judge suite, N = 1 000, judge C = 32 (target <= 4.5 s), the model instant;
  * ``judge-slow``: the same with the model at 100 ms too (ideal: model and judge overlapped,
    the judge one call and one row behind: (N + 1)·L/C + L).
Each round runs every tree once per case, alternating which goes first, so load from elsewhere
on a shared machine falls on both alike; the table gives each tree's median wall time, its ratio
to the ideal N·L/C, the peak RSS of the gate process and of its Evidently worker, and the stages
of the last run (``timings_s``). With ``--peers``, a bare aiohttp client and promptfoo (``-j C``)
run the deterministic cases once per round beside them. The load average is printed per round.
``--no-html-too`` adds the after tree with ``--no-html`` (tree ``nohtml``); ``--no-html`` runs every
tree with it (the deterministic path alone, before against after).
``--bytecode`` lets the trees' modules be compiled once, into a cache of this run's own
(``PYTHONPYCACHEPREFIX``), as an installed package is: under ``PYTHONDONTWRITEBYTECODE`` (set on
the team's machine) each run otherwise compiles every gatewise module it imports (~0.1 s).
Run: ``python benchmarks/gate_before_after.py --before /work/main/src --after src [--rounds 3 --peers --no-html-too]``.
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

from _common import Standin, children_cpu, write_rows
from _peers import promptfoo, promptfoo_bin, raw_aiohttp
from gate_scaling import watched
from gate_throughput import exact_match_gate
from judge_throughput import judge_gate

CASES = {"small": (1000, 32), "big": (10_000, 256), "judge": (1000, 32), "judge-slow": (1000, 32)}
LATENCY_MS = 100.0


def run_tree(src: Path, config: Path, out: Path, flags: tuple[str, ...] = (), pycache: Path | None = None
             ) -> tuple[float, int, dict[str, int], int, dict, float]:
    """One ``gatewise gate`` from the tree at ``src``: wall, exit, peaks per role, peak sum, stages,
    and the CPU seconds of the gate and its worker together (what load from elsewhere inflates least).
    With ``pycache``, compiled modules are kept there (and used) instead of compiled at every run."""
    saved = {name: os.environ.get(name) for name in ("PYTHONPATH", "PYTHONPYCACHEPREFIX", "PYTHONDONTWRITEBYTECODE")}
    os.environ["PYTHONPATH"] = str(src)
    if pycache is not None:
        os.environ["PYTHONPYCACHEPREFIX"] = str(pycache)
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    cpu = children_cpu()
    try:
        wall, code, peaks, total = watched([sys.executable, "-m", "gatewise", "gate", "--config", str(config),
                                            "--quiet", "--no-cache", "--out", str(out), *flags], config.parent)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    result = out / "gate-result.json"
    stages = json.loads(result.read_text())["timings_s"] if result.exists() else {}
    return wall, code, peaks, total, stages, children_cpu() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", type=Path, required=True, help="the src/ folder of the tree before")
    parser.add_argument("--after", type=Path, required=True, help="the src/ folder of the tree after")
    parser.add_argument("--cases", default="small,big,judge")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--peers", action="store_true", help="also a bare aiohttp client and promptfoo")
    parser.add_argument("--no-html-too", action="store_true",
                        help="also run the after tree with --no-html (no report.html: no Evidently import)")
    parser.add_argument("--no-html", action="store_true", help="run every tree with --no-html")
    parser.add_argument("--bytecode", action="store_true",
                        help="compile each tree's modules once (a cache of this run's own), as an install does")
    args = parser.parse_args()
    trees = {"before": args.before.resolve(), "after": args.after.resolve()}
    flags = {name: ("--no-html",) if args.no_html else () for name in trees}
    if args.no_html_too and not args.no_html:
        trees["nohtml"], flags["nohtml"] = args.after.resolve(), ("--no-html",)
    cases = [c for c in args.cases.split(",") if c]

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        pycache = work / "pycache" if args.bytecode else None
        if pycache is not None:  # compiled before round 1, so every round runs alike
            for src in set(trees.values()):
                subprocess.run([sys.executable, "-m", "compileall", "-q", str(src)], check=True,
                               env={**os.environ, "PYTHONPYCACHEPREFIX": str(pycache)})
        answers = write_rows(work, max(CASES[c][0] for c in cases))
        model = Standin("--answers", str(answers), "--latency-ms", str(LATENCY_MS))
        quick = Standin("--answers", str(answers), "--quality", "0.9")  # the judge case's model: no latency
        judge = Standin("--model-id", "judge-model", "--latency-ms", str(LATENCY_MS))
        walls: dict[tuple[str, str], list[float]] = {}
        cpus: dict[tuple[str, str], list[float]] = {}
        last: dict[tuple[str, str], tuple] = {}
        peers: dict[tuple[str, str], list[float]] = {}
        try:
            configs = {}
            for case in cases:
                n, c = CASES[case]
                folder = work / case
                folder.mkdir()
                data = write_rows(folder, n)
                configs[case] = (judge_gate(folder, data, quick.url if case == "judge" else model.url, judge.url, c)
                                 if case.startswith("judge") else exact_match_gate(folder, data, c, model.url))
            for round_ in range(args.rounds):
                print(f"round {round_ + 1}: load average {os.getloadavg()[0]:.1f}", flush=True)
                order = list(trees) if round_ % 2 == 0 else list(reversed(trees))
                for case in cases:
                    for name in order:
                        got = run_tree(trees[name], configs[case], work / case / f"out-{name}-{round_}", flags[name],
                                       pycache)
                        walls.setdefault((case, name), []).append(got[0])
                        cpus.setdefault((case, name), []).append(got[5])
                        last[(case, name)] = got
                        print(f"  {case:5} {name:6} wall {got[0]:6.2f} s cpu {got[5]:5.2f} s exit {got[1]} peaks {got[2]} "
                              f"sum {got[3]} MiB stages {got[4]}", flush=True)
                    if args.peers and not case.startswith("judge"):
                        n, c = CASES[case]
                        data = work / case / "rows.jsonl"
                        raw = raw_aiohttp(model.url, data, c, work / case)[0]
                        peers.setdefault((case, "raw aiohttp"), []).append(raw)
                        binary = promptfoo_bin()
                        line = f"  {case:5} raw aiohttp {raw:.2f} s"
                        if binary is not None:
                            theirs = promptfoo(binary, model.url, data, c, work / case / f"promptfoo-{round_}")[0]
                            peers.setdefault((case, f"promptfoo -j {c}"), []).append(theirs)
                            line += f", promptfoo -j {c} {theirs:.2f} s"
                        print(line, flush=True)
        finally:
            for server in (model, quick, judge):
                server.stop()

    print("\ncase   tree     ideal   median wall  ratio  (runs)   median CPU s (gate + worker)   gate/worker peak MiB")
    for case in cases:
        n, c = CASES[case]
        ideal = (n + (1 if case.startswith("judge") else 0)) * LATENCY_MS / 1000 / c
        ideal += LATENCY_MS / 1000 if case == "judge-slow" else 0
        for name in trees:
            runs = walls[(case, name)]
            median = statistics.median(runs)
            peaks = last[(case, name)][2]
            print(f"{case:6} {name:7} {ideal:5.2f} s  {median:6.2f} s  {median / ideal:5.2f}  "
                  f"({', '.join(f'{w:.2f}' for w in runs)})  cpu {statistics.median(cpus[(case, name)]):.2f}  "
                  f"{peaks['gate']}/{peaks['worker']}")
        for (peer_case, peer), runs in peers.items():
            if peer_case == case:
                median = statistics.median(runs)
                print(f"{case:6} {peer:16} {median:6.2f} s  {median / ideal:5.2f}  ({', '.join(f'{w:.2f}' for w in runs)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
