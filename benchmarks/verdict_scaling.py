"""The verdict stage alone (``pipeline._deciding.decide``: observations, metrics, intervals,
agreement, thresholds) at growing N, in CPU seconds, with its parts: is it linear in N?

The samples and config are ``stage_scaling.py``'s (90 % right answers, ExactMatch, TextLength,
DoesNotContain; latency_ms p95); the scores are gatewise's native checks (equal to Evidently's,
which ``stage_scaling.py`` asserts), so no Evidently run is waited for. Best of ``--repeat`` per
size. ``--varied-latency`` gives every row its own latency, as a live endpoint does (the
fixed set's 37 values take the grouped bootstrap; distinct values are resampled row by row,
2000 x N index draws for that one mean's interval). ``--fingerprint DIR`` writes each size's decision (metrics, intervals, verdict, agreement)
as text, so two trees' outputs can be compared byte for byte (``cmp``).
Run: ``PYTHONPATH=src python benchmarks/verdict_scaling.py [--sizes 1000,10000,100000]`` (another
tree's ``src`` on ``PYTHONPATH`` measures that tree: the before of a change).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _common import write_rows
from gate_scaling import make_gate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--fingerprint", type=Path, default=None)
    parser.add_argument("--varied-latency", action="store_true", help="a distinct latency per row")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]

    from gatewise.config import load_config
    from gatewise.gate import aggregate_observations, metric_intervals, observations, repeat_agreement
    from gatewise.pipeline import prepare
    from gatewise.pipeline._deciding import Baseline, decide
    from gatewise.samples import Sample
    from gatewise.suites import Scorer

    table: list[tuple[int, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            work = Path(tmp) / f"n{n}"
            work.mkdir()
            plan = prepare(load_config(make_gate(work, write_rows(work, n), 256, "http://127.0.0.1:9/v1")))
            suites = [s for s in plan.config.suites if s.judge is None]
            samples = tuple(
                Sample(row_id=row.id, inputs=row.values, messages=plan.template.render(row),
                       output=row.values["answer"] if i % 10 else f"Sorry, no idea about {i}.",
                       latency_ms=100.0 + (i * 7919 % n / 10 if args.varied_latency else i % 37),
                       model_id="standin-model", finish_reason="stop")
                for i, row in enumerate(plan.dataset.rows))
            with Scorer(suites, html=False, in_process=True) as scorer:
                scores = scorer.score(samples, suites)
            decide(plan, samples, scores, Baseline())  # warm: numpy's import and first calls
            best, parts = float("inf"), {}
            for _ in range(args.repeat):
                t = time.process_time()
                decision = decide(plan, samples, scores, Baseline())
                best = min(best, time.process_time() - t)
                t0 = time.process_time()
                observed = observations(plan.config, samples, scores)
                t1 = time.process_time()
                aggregate_observations(observed)
                t2 = time.process_time()
                metric_intervals(observed)
                t3 = time.process_time()
                repeat_agreement(plan.config, observed)
                t4 = time.process_time()
                for key, spent in {"observations": t1 - t0, "aggregate": t2 - t1, "intervals": t3 - t2,
                                   "agreement": t4 - t3}.items():
                    parts[key] = min(parts.get(key, float("inf")), spent)
            if args.fingerprint is not None:
                args.fingerprint.mkdir(parents=True, exist_ok=True)
                (args.fingerprint / f"decision-{n}.txt").write_text(repr(
                    (decision["metrics"], decision["intervals"], decision["verdict"], decision["agreement"])))
            shown = ", ".join(f"{k} {v:.3f}" for k, v in parts.items())
            print(f"N={n}: verdict {best:.3f} s CPU ({best / n * 1e6:.1f} us/row); parts: {shown}", flush=True)
            table.append((n, best))
    for (n0, c0), (n1, c1) in zip(table, table[1:]):
        print(f"slope {n0} -> {n1}: {(c1 - c0) / (n1 - n0) * 1e6:.1f} us/row")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
