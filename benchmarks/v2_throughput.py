"""A ``kind: v2`` gate against KServe's own ``ModelServer`` (scikit-learn iris classifier): how
rows per second grow with ``batch_size``, and what a classification + drift suite adds.

Each run is a whole ``gatewise gate`` process over N synthetic iris-like rows (default 10 000);
the calls phase comes from ``timings_s`` in ``gate-result.json``, the wall time is the process's.
The server runs in its own process group (as in the tests), one uvicorn worker, on this machine.
Run: ``.venv/bin/python benchmarks/v2_throughput.py [--rows 10000 --batch-sizes 1,16,64,256]``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.v2_server import IRIS_FEATURES, V2Server, iris_rows, train_models, write_pinned, write_v2_gate  # noqa: E402


def synthetic_rows(n: int, seed: int = 7) -> list[dict]:
    """Iris rows with a little noise, repeated up to ``n``: realistic values, unique ids."""
    rng = random.Random(seed)
    base = iris_rows()
    rows = []
    for i in range(n):
        row = base[i % len(base)]
        rows.append({"id": f"r{i:06d}", **{f: round(row[f] + rng.gauss(0, 0.05), 3) for f in IRIS_FEATURES},
                     "species": row["species"]})
    return rows


def run(config: Path, out: Path) -> tuple[float, dict]:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "gatewise", "gate", "--config", str(config), "--out", str(out),
                           "--quiet"], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO / "src")})
    wall = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"gate failed with exit {proc.returncode}:\n{proc.stderr[-2000:]}")
    return wall, json.loads((out / "gate-result.json").read_text())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--batch-sizes", default="1,16,64,256")
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    rows = synthetic_rows(args.rows)
    features = "  features: [" + ", ".join(IRIS_FEATURES) + "]\n"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        train_models(root / "models")
        with V2Server(root / "models") as server:
            print(f"{args.rows} rows, concurrency {args.concurrency}, KServe ModelServer on {server.base_url}")
            print(f"{'batch_size':>10} {'calls s':>8} {'rows/s':>9} {'wall s':>7}")
            for batch in [int(b) for b in args.batch_sizes.split(",")]:
                directory = root / f"b{batch}"
                endpoint = features + f"  batch_size: {batch}\n  concurrency: {args.concurrency}\n"
                config = write_v2_gate(directory, server.base_url, rows, endpoint=endpoint)
                wall, result = run(config, directory / "out")
                calls = result["timings_s"]["calls"]
                assert result["counts"]["errors"] == 0, result["counts"]
                print(f"{batch:>10} {calls:>8.2f} {args.rows / calls:>9,.0f} {wall:>7.2f}")
            directory = root / "suites"
            sha = write_pinned(directory.parent, "reference.jsonl", synthetic_rows(2_000, seed=11))
            config = write_v2_gate(directory, server.base_url, rows, endpoint=features + "  batch_size: 256\n",
                                   suites=f"""
  - name: clf
    classification: {{label: species}}
  - name: drift
    drift: {{reference: {{path: ../reference.jsonl, sha256: "{sha}"}}}}
""", thresholds='{clf: {accuracy: ">= 0.9"}, drift: {drifted_share: "<= 0.5"}}')
            wall, result = run(config, directory / "out")
            timings = result["timings_s"]
            print(f"with classification + drift suites, batch_size 256: wall {wall:.2f} s "
                  f"(calls {timings['calls']:.2f} s, scoring {timings['scoring']:.2f} s), "
                  f"accuracy {result['metrics']['clf']['accuracy']:.3f}, "
                  f"drifted_share {result['metrics']['drift']['drifted_share']:.2f}")


if __name__ == "__main__":
    main()
