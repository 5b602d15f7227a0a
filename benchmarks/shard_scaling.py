"""Sharded gates: one process vs N shard processes + merge, and merge alone at scale.

Part 1 (issue 9): ``--rows`` (default 20 000) rows at ``--latency-ms`` (100) per call, concurrency
``--concurrency`` (64) per process, against one stand-in process: wall time of the unsharded gate,
of ``--shards`` (4) shard processes run at once, and of the merge after them.
Part 2: ``gatewise merge`` of ``--shards`` x ``--merge-rows`` (default 4 x 25 000) rows made at
1 ms latency: wall time and peak RSS of the merge process (targets: <= 5 s, <= 500 MB), with the
Evidently suites and with none (``--suites`` both|evidently|none), to show what merge itself costs.
``--synthetic`` writes the shard directories directly (each row answered with its reference
answer, its checks' scores as a shard records them) instead of calling the stand-in for every
row: merge reads only the directories, and making 100 000 real answers takes minutes.
Run: ``.venv/bin/python benchmarks/shard_scaling.py [--rows 20000 --merge-rows 25000 --skip-part1]``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import EXACT_MATCH, Standin, measured, write_gate, write_rows

GATE = [sys.executable, "-m", "gatewise"]
EVIDENTLY = EXACT_MATCH + """  - name: format
    evidently: [ { descriptor: TextLength, name: length, max: 200 } ]
thresholds:
  correctness: { pass_rate: ">= 0.9" }
  format: { pass_rate: ">= 0.95" }
  latency_ms: { p95: "<= 5000" }
"""
NO_SUITES = """suites: []
thresholds:
  latency_ms: { p95: "<= 5000" }
"""


def make_gate(directory: Path, data: Path, concurrency: int, url: str, suites: str) -> Path:
    return write_gate(directory, data, url, suites, concurrency=concurrency, timeout_s=60)


def run_shards(config: Path, root: Path, shards: int) -> tuple[float, list[Path]]:
    """Every shard as its own process, all at once, as an engine's fan-out would; wall seconds."""
    dirs = [root / f"shard-{k}" for k in range(1, shards + 1)]
    t = time.perf_counter()
    procs = [subprocess.Popen([*GATE, "gate", "--config", str(config), "--shard", f"{k}/{shards}", "--out",
                               str(d), "--quiet"], cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
             for k, d in enumerate(dirs, start=1)]
    for proc in procs:
        _, err = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"a shard failed ({proc.returncode}): {err.decode()[-500:]}")
    return time.perf_counter() - t, dirs


def part1(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = write_rows(root, args.rows)
        standin = Standin("--latency-ms", str(args.latency_ms), "--answers", str(data))
        try:
            config = make_gate(root, data, args.concurrency, standin.url, EVIDENTLY)
            whole, code, rss = measured([*GATE, "gate", "--config", str(config), "--out", str(root / "whole")], root)
            print(f"1 process: {args.rows} rows, {args.latency_ms:g} ms, C={args.concurrency}: {whole:.1f} s "
                  f"(exit {code}, peak RSS {rss} MiB; ideal calls {args.rows * args.latency_ms / 1000 / args.concurrency:.1f} s)")
            fan_out, dirs = run_shards(config, root, args.shards)
            merge, code, rss = measured([*GATE, "merge", *map(str, dirs), "--out", str(root / "merged")], root)
            print(f"{args.shards} shard processes at once: {fan_out:.1f} s; merge {merge:.1f} s (exit {code}, peak RSS "
                  f"{rss} MiB); total {fan_out + merge:.1f} s = {(fan_out + merge) / whole:.2f} of one process")
        finally:
            standin.stop()


def part2(args: argparse.Namespace) -> None:
    kinds = {"both": [("evidently", EVIDENTLY), ("none", NO_SUITES)], "evidently": [("evidently", EVIDENTLY)],
             "none": [("none", NO_SUITES)]}[args.suites]
    rows = args.shards * args.merge_rows
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = write_rows(root, rows)
        standin = Standin("--latency-ms", "1", "--answers", str(data))
        try:
            for name, suites in kinds:
                here = root / name
                here.mkdir()
                (here / data.name).write_bytes(data.read_bytes())
                config = make_gate(here, here / data.name, 256, standin.url, suites)
                if args.synthetic:
                    made, dirs = synthetic_shards(config, here, args.shards, with_checks=name == "evidently")
                else:
                    made, dirs = run_shards(config, here, args.shards)
                for flags in ((), ("--no-html",)) if args.no_html_too else ((),):
                    seconds, code, rss = measured([*GATE, "merge", *map(str, dirs), "--out",
                                                   str(here / f"merged{len(flags)}"), *flags], here)
                    print(f"merge of {args.shards} x {args.merge_rows} rows, suites {name} {' '.join(flags)}: "
                          f"{seconds:.2f} s, peak RSS {rss} MiB (exit {code}; shards made in {made:.1f} s)")
        finally:
            standin.stop()


def synthetic_shards(config: Path, root: Path, shards: int, *, with_checks: bool) -> tuple[float, list[Path]]:
    """Finished shard directories of ``config``'s rows, written as ``gate --shard`` writes them."""
    import json

    from gatewise.config import load_config
    from gatewise.pipeline._rundir import RunState, rewrite_answers, write_state
    from gatewise.samples import Message, Sample
    from gatewise.scores import Score
    from gatewise.shard._spec import shard_of_row

    t = time.perf_counter()
    loaded = load_config(config)
    data = loaded.resolve(loaded.dataset.path)
    rows = [json.loads(line) for line in Path(data).read_text(encoding="utf-8").splitlines()]
    url = loaded.endpoint.base_url
    dirs = []
    for k in range(1, shards + 1):
        out = root / f"shard-{k}"
        mine = [r for r in rows if shard_of_row(r["id"], shards) == k]
        samples = [Sample(r["id"], r, (Message("system", "Answer briefly."), Message("user", f"Question: {r['question']}")),
                          r["answer"], latency_ms=100.0 + i % 7, prompt_tokens=12, completion_tokens=8,
                          finish_reason="stop", model_id="standin-model") for i, r in enumerate(mine)]
        checks = {(x.row_id, 0): (Score(x.row_id, "correctness.ExactMatch", 1.0, True),
                                  Score(x.row_id, "format.length", float(len(x.output or "")), True))
                  for x in samples} if with_checks else {}
        rewrite_answers(out, samples, checks)
        write_state(out, RunState(str(config), loaded.config_sha256, loaded.dataset.path,
                                  loaded.dataset.sha256 or "", len(rows), (k, shards), "2026-01-01T00:00:00+00:00",
                                  done=True, rows=len(mine),
                                  endpoint={"base_url": url, "model": "standin-model", "api": "chat",
                                            "served": ["standin-model"], "concurrency": None}))
        dirs.append(out)
    return time.perf_counter() - t, dirs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--merge-rows", type=int, default=25_000, help="rows per shard in part 2")
    parser.add_argument("--suites", choices=("both", "evidently", "none"), default="both")
    parser.add_argument("--synthetic", action="store_true", help="part 2: write the shards, do not call for them")
    parser.add_argument("--skip-part1", action="store_true")
    parser.add_argument("--no-html-too", action="store_true", help="part 2: also merge with --no-html")
    parser.add_argument("--skip-part2", action="store_true")
    args = parser.parse_args()
    if not args.skip_part1:
        part1(args)
    if not args.skip_part2:
        part2(args)


if __name__ == "__main__":
    main()
