"""The gate's stages after the calls, at growing N, in CPU seconds: is each one linear in N?

No endpoint: the samples are made here (90 % right answers, lengths that vary), so what is
timed is gatewise's own work on them, stage by stage, with the gate's own functions and the
config of ``gate_scaling.py`` (ExactMatch, TextLength, DoesNotContain; latency_ms p95):
  * scoring: Evidently's checks, in this process, in the worker's chunks (its import excluded);
  * native: the same checks as the gate scores them where gatewise computes them itself
    (``suites.Scorer``; absent in a tree from before it), with the scores compared to Evidently's;
  * verdict: metrics, intervals, thresholds (``pipeline._deciding.decide``);
  * comparison: the same gate with ``baseline: {endpoint: …}`` whose answers are already in
    (wrong on every 7th row, and on a tenth of the rows the candidate gets wrong), so what is
    timed is the paired comparison alone: the baseline's observations and
    ``gate.compare_with_baseline`` (bootstrap of the mean difference, the rows that got worse);
  * reports: results.jsonl, junit.xml, summary.md, gate-result.json;
  * html: Evidently's page over at most ``HTML_ROWS`` rows.
CPU time (``time.process_time``) is what load from other work on a shared machine inflates
least; the per-row cost per stage and the slope between sizes say whether the stage is linear.
Also the peak RSS of this process after each size.
Run: ``PYTHONPATH=src python benchmarks/stage_scaling.py [--sizes 1000,10000,100000]`` (another
tree's ``src`` on ``PYTHONPATH`` measures that tree: the before of a change). ``--fingerprint DIR``
keeps each size's gate-result.json and summary.md, without and with the baseline, and the
comparison, so two trees' outputs can be compared byte for byte (``cmp``).
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
    parser.add_argument("--fingerprint", type=Path, default=None,
                        help="write each size's gate-result.json, summary.md and the comparison here (for cmp)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]

    from gatewise.config import load_config
    from gatewise.gate import compare_with_baseline, observations
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

            compared = prepare(load_config(with_baseline(work, data)))
            baseline = _baseline_samples(samples)
            with ScoringWorker(in_process=True) as worker:
                base_scores = worker.score(baseline, suites)
            candidate = observations(compared.config, samples, scores)
            t = time.process_time()
            comparison = compare_with_baseline(compared.config, candidate,
                                               observations(compared.config, baseline, base_scores), paired=True,
                                               source="benchmark", kind="endpoint",
                                               dataset_sha256=compared.dataset.sha256)
            cpu["comparison"] = time.process_time() - t
            del candidate

            result = GateResult(config_path=config.source, config_sha256=config.config_sha256,
                                dataset_path=config.dataset.path, dataset_sha256=plan.dataset.sha256,
                                endpoint=EndpointInfo(config.endpoint.base_url, config.endpoint.model,
                                                      config.endpoint.api, ("standin-model",)),
                                samples=samples, scores=scores, started_at="2026-01-01T00:00:00+00:00",
                                confidence_level=config.confidence.level, **decision)
            t = time.process_time()
            write_reports(result, work / "out")
            cpu["reports"] = time.process_time() - t

            if args.fingerprint is not None:
                args.fingerprint.mkdir(parents=True, exist_ok=True)
                def keep(source: Path, name: str) -> None:
                    # the temporary directory's name left out, so two runs compare byte for byte
                    text = source.read_text(encoding="utf-8").replace(tmp, "<tmp>")
                    (args.fingerprint / name).write_text(text, encoding="utf-8")

                for name in ("gate-result.json", "summary.md"):
                    keep(work / "out" / name, f"{n}-{name}")
                (args.fingerprint / f"{n}-comparison.txt").write_text(repr(comparison))
                from dataclasses import replace

                # the whole decision with the baseline, as a gate with it makes: its reports too
                decided = decide(compared, samples, scores, Baseline(baseline, base_scores))
                compared_result = replace(result, **decided)
                write_reports(compared_result, work / "out-baseline")
                for name in ("gate-result.json", "summary.md", "pr-comment.md"):
                    if (work / "out-baseline" / name).exists():
                        keep(work / "out-baseline" / name, f"{n}-baseline-{name}")

            t = time.process_time()
            if rows_for_html is not None:
                write_evidently_html(rows_for_html(samples), suites, work / "out" / "report.html", len(samples))
            else:
                write_evidently_html(samples, suites, work / "out" / "report.html")
            cpu["html"] = time.process_time() - t

            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
            per_row = ", ".join(f"{k} {v:.2f} s ({v / n * 1e6:.0f} us/row)" for k, v in cpu.items())
            deltas = ", ".join(f"{m.metric} {m.delta:+.4f} ({m.worse_count} worse)" for m in comparison.metrics)
            print(f"N={n}: {per_row}; verdict passed={decision['verdict'].passed}; vs baseline {deltas}; "
                  f"peak RSS {peak} MiB", flush=True)
            table.append((n, cpu))
    for (n0, c0), (n1, c1) in zip(table, table[1:]):
        slopes = ", ".join(f"{k} {(c1[k] - c0[k]) / (n1 - n0) * 1e6:.0f}" for k in c0)
        print(f"slope {n0} -> {n1} (us/row): {slopes}")
    return 0


def with_baseline(work: Path, data: Path) -> Path:
    """``gate_scaling.py``'s gate with a baseline endpoint (never called: its answers are given)."""
    gate = make_gate(work, data, 256, "http://127.0.0.1:9/v1")
    config = work / "gate-baseline.yaml"
    config.write_text(gate.read_text(encoding="utf-8") + """baseline:
  endpoint: { base_url: "http://127.0.0.1:9/v1", model: champion }
  max_regression: 0.02
""", encoding="utf-8")
    return config


def _baseline_samples(samples):
    """The champion's answers: right where the candidate is, except every 7th row; the
    candidate's wrong rows right one time in ten."""
    from dataclasses import replace

    def answer(i: int, sample) -> str:
        if i % 7 == 3:
            return f"No idea about {i}."
        return sample.inputs["answer"] if i % 10 == 0 and i % 100 else sample.output

    return tuple(replace(s, output=answer(i, s), model_id="champion-model") for i, s in enumerate(samples))


if __name__ == "__main__":
    raise SystemExit(main())
