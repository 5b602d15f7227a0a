"""What logging a gate run to MLflow adds after the verdict: ``track_gate_run`` timed on one gate
result, with and without per-row traces, into a real ``mlflow server`` (or --uri), and against a
port nobody listens on (the bounded warning path). Ratios are to the gate run itself.

    python benchmarks/tracking_overhead.py --rows 200
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.mlflow_server

from benchmarks._common import EXACT_MATCH, write_gate, write_rows  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--uri", help="an MLflow server to log into (default: one started here)")
    args = parser.parse_args()

    from gatewise.config import TrackingConfig, load_config
    from gatewise.runner import run_gate
    from gatewise.standin import StandinServer, load_answer_table
    from gatewise.terminal import Console
    from gatewise.tracking import track_gate_run
    from tests.mlflow_server import MlflowServer, free_port

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        data = write_rows(tmp_path, args.rows)
        body = (f"model: {{ name: bench-{uuid.uuid4().hex[:6]} }}\n" + EXACT_MATCH
                + 'thresholds: { correctness: { pass_rate: ">= 0.5" } }\n')
        # the endpoint is the stand-in started below, given as an override
        config_path = write_gate(tmp_path, data, "http://127.0.0.1:9/v1", body, concurrency=32, timeout_s=None,
                                 prompt='prompt: { user: "Question: {question}" }')
        server = None if args.uri else MlflowServer(tmp_path / "mlflow").start()
        uri = args.uri or server.url
        try:
            with StandinServer(answers=load_answer_table(data)) as model:
                config = load_config(config_path, overrides={"endpoint.base_url": model.base_url})
                out = tmp_path / "out"
                t0 = time.perf_counter()
                result = run_gate(config, out_dir=out)
                gate_s = time.perf_counter() - t0
            timings = {}
            for label, target, traces in (("traces", uri, True), ("table only", uri, False),
                                          ("unreachable", f"http://127.0.0.1:{free_port()}", True)):
                tracked = config.model_copy(update={"tracking": TrackingConfig(uri=target, traces=traces)})
                t1 = time.perf_counter()
                outcome = track_gate_run(dataclasses.replace(result), tracked, out_dir=out, console=Console(quiet=True))
                timings[label] = (time.perf_counter() - t1, outcome.logged)
        finally:
            if server is not None:
                server.stop()
    print(f"{args.rows} rows; gate run {gate_s:.2f} s")
    for label, (seconds, logged) in timings.items():
        print(f"  tracking, {label:<11} {seconds:6.2f} s  ({seconds / gate_s:.2f}x the gate run; logged={logged})")


if __name__ == "__main__":
    main()
