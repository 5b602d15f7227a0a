"""The gate's stages after the calls, at growing N, in CPU seconds: is each one linear in N?

No endpoint: the samples are made here (90 % right answers, lengths that vary), so what is
timed is gatewise's own work on them, stage by stage, with the gate's own functions and the
config of ``gate_scaling.py`` (ExactMatch, TextLength, DoesNotContain; latency_ms p95):
  * scoring: Evidently's checks, in this process, in the worker's chunks (its import excluded);
  * native: the same checks as the gate scores them where gatewise computes them itself
    (``suites.Scorer``; absent in a tree from before it), with the scores compared to Evidently's;
  * verdict: metrics, intervals, thresholds (``pipeline._deciding.decide``);
  * reports: results.jsonl, junit.xml, summary.md, gate-result.json;
  * html: Evidently's page over at most ``HTML_ROWS`` rows.
CPU time (``time.process_time``) is what load from other work on a shared machine inflates
least; the per-row cost per stage and the slope between sizes say whether the stage is linear.
Also the peak RSS of this process after each size.
Run: ``PYTHONPATH=src python benchmarks/stage_scaling.py [--sizes 1000,10000,100000]`` (another
tree's ``src`` on ``PYTHONPATH`` measures that tree: the before of a change).
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from _common import write_rows
from gate_scaling import make_gate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]

    from gatewise.config import load_config
    from gatewise.pipeline import prepare
    from gatewise.pipeline._deciding import Baseline, decide
    from gatewise.report import write_reports
    from gatewise.result import EndpointInfo, GateResult
    from gatewise.samples import Sample
    from gatewise.suites import ScoringWorker
    from gatewise.suites._evidently import load_evidently
    from gatewise.suites import write_evidently_html

    try:
        from gatewise.suites import Scorer
    except ImportError:  # a tree from before native checks
        Scorer = None
    try:
        from gatewise.suites._html import rows_for_html
    except ImportError:  # a tree from before the page's rows were capped
        rows_for_html = None

    load_evidently()
    table: list[tuple[int, dict[str, float]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            work = Path(tmp) / f"n{n}"
            work.mkdir()
            data = write_rows(work, n)
            plan = prepare(load_config(make_gate(work, data, 256, "http://127.0.0.1:9/v1")))
            config = plan.config
            suites = [s for s in config.suites if s.judge is None]
            samples = tuple(
                Sample(row_id=row.id, inputs=row.values, messages=plan.template.render(row),
                       output=row.values["answer"] if i % 10 else f"Sorry, no idea about {i}.",
                       latency_ms=100.0 + i % 37, model_id="standin-model", finish_reason="stop")
                for i, row in enumerate(plan.dataset.rows))
            cpu: dict[str, float] = {}

            t = time.process_time()
            with ScoringWorker(in_process=True) as worker:
                scores = worker.score(samples, suites) + worker.measure(samples, suites).scores
            cpu["scoring"] = time.process_time() - t
            if Scorer is not None:
                t = time.process_time()
                with Scorer(suites, html=False, in_process=True) as scorer:
                    native = scorer.score(samples, suites)
                cpu["native"] = time.process_time() - t
                checked = {x.metric for x in native}
                assert native == tuple(s for s in scores if s.metric in checked), "native scores differ"

            t = time.process_time()
            decision = decide(plan, samples, scores, Baseline())
            cpu["verdict"] = time.process_time() - t

            result = GateResult(config_path=config.source, config_sha256=config.config_sha256,
                                dataset_path=config.dataset.path, dataset_sha256=plan.dataset.sha256,
                                endpoint=EndpointInfo(config.endpoint.base_url, config.endpoint.model,
                                                      config.endpoint.api, ("standin-model",)),
                                samples=samples, scores=scores, started_at="2026-01-01T00:00:00+00:00",
                                confidence_level=config.confidence.level, **decision)
            t = time.process_time()
            write_reports(result, work / "out")
            cpu["reports"] = time.process_time() - t

            t = time.process_time()
            if rows_for_html is not None:
                write_evidently_html(rows_for_html(samples), suites, work / "out" / "report.html", len(samples))
            else:
                write_evidently_html(samples, suites, work / "out" / "report.html")
            cpu["html"] = time.process_time() - t

            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
            per_row = ", ".join(f"{k} {v:.2f} s ({v / n * 1e6:.0f} us/row)" for k, v in cpu.items())
            print(f"N={n}: {per_row}; verdict passed={decision['verdict'].passed}; peak RSS {peak} MiB",
                  flush=True)
            table.append((n, cpu))
    for (n0, c0), (n1, c1) in zip(table, table[1:]):
        slopes = ", ".join(f"{k} {(c1[k] - c0[k]) / (n1 - n0) * 1e6:.0f}" for k in c0)
        print(f"slope {n0} -> {n1} (us/row): {slopes}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
