"""What ``only_if`` costs and saves: a G-Eval suite judged as outputs arrive, against the same suite
judged after Evidently has scored (``only_if``), whole-process wall time.

Three gates over N rows (default 300), the model a stand-in at 100 ms per call, the judge another
stand-in at L ms (100), both at concurrency C (32), each with the same Evidently suite:
  A. ``judge`` without only_if: judged while the calls run;
  B. ``only_if: [format]``, a check every row passes: the same judge work, after scoring (the cost);
  C. ``only_if: [exact]``, an ExactMatch the model (quality 0.5) fails on about half the rows:
     the judge calls saved.
Rounds are interleaved (A B C, A B C, …) on this noisy shared machine; compare within a round.
Run: ``.venv/bin/python benchmarks/only_if_cost.py [--rows 300 --rounds 3 --latency-ms 100]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

from _common import BIN, Standin, g_eval_suite, measured, write_gate, write_rows

CASES = {"A (no only_if)": "", "B (only_if, every row passes)": "\n      only_if: [format]",
         "C (only_if, about half skipped)": "\n      only_if: [exact]"}


def only_if_gate(directory: Path, data: Path, model_url: str, judge_url: str, concurrency: int, only_if: str) -> Path:
    body = f"""suites:
  - name: format
    evidently: [{{ descriptor: TextLength, min: 1 }}]
  - name: exact
    evidently: [{{ descriptor: ExactMatch, expected: answer }}]
{g_eval_suite(only_if)}thresholds:
  correctness: {{ mean: ">= 0.0" }}
"""
    return write_gate(directory, data, model_url, body, concurrency=concurrency, judge_url=judge_url)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    gatewise = str(BIN / "gatewise")
    walls: dict[str, list[float]] = {name: [] for name in CASES}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        data = write_rows(work, args.rows)
        model = Standin("--answers", str(data), "--quality", "0.5", "--latency-ms", "100")
        judge = Standin("--model-id", "judge-model", "--latency-ms", str(args.latency_ms))
        try:
            for round_ in range(args.rounds):
                for index, (name, only_if) in enumerate(CASES.items()):
                    case = work / f"r{round_}c{index}"
                    case.mkdir()
                    (case / data.name).write_bytes(data.read_bytes())
                    config = only_if_gate(case, case / data.name, model.url, judge.url, args.concurrency, only_if)
                    wall, code, _ = measured([gatewise, "gate", "--config", str(config), "--quiet", "--no-cache",
                                              "--cache-dir", str(case / "cache"), "--out", str(case / "out")], case)
                    result = json.loads((case / "out" / "gate-result.json").read_text())
                    judge_info, timings = result["judge"], result["timings_s"]
                    walls[name].append(wall)
                    print(f"round {round_ + 1} {name}: wall {wall:.2f} s, exit {code}, judge calls "
                          f"{judge_info['calls']}, skipped {judge_info.get('skipped', 0)}, saved ~"
                          f"{judge_info.get('calls_saved', 0)}; stages {timings}")
        finally:
            model.stop()
            judge.stop()
    base = statistics.median(walls["A (no only_if)"])
    for name, values in walls.items():
        print(f"{name}: median wall {statistics.median(values):.2f} s, ratio to A "
              f"{statistics.median(values) / base:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
