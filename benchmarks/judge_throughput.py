"""A G-Eval judge suite over N rows, the stand-in acting as judge: whole-process wall time.

Runs, in one go on this machine (the machines are shared and noisy: compare ratios):
  1. ``gatewise gate --no-cache`` over N rows (default 1000) with one G-Eval suite, the model under
     test a stand-in with no latency, the judge another stand-in at L ms latency (100) with judge
     concurrency C (32): wall time of the whole process, peak memory, the ideal N·L/C;
  2. the same gate again without ``--no-cache``: every judge answer replayed, 0 judge calls;
  3. with ``--deepeval``, deepeval's own ``evaluate()`` runner (``AsyncConfig(max_concurrent=C)``)
     on the same test cases with the same judge model object, for the ratio.
Each stand-in runs in its own process, so the gate's own cost is what is measured.
Run: ``.venv/bin/python benchmarks/judge_throughput.py [--rows 1000 --latency-ms 100 --concurrency 32 --deepeval]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import textwrap
from pathlib import Path

from _common import BIN, G_EVAL_CRITERIA, Standin, g_eval_suite, measured, write_gate, write_rows


def judge_gate(directory: Path, data: Path, model_url: str, judge_url: str, concurrency: int) -> Path:
    """One G-Eval suite over ``data``, judged by the stand-in at ``judge_url``."""
    body = "suites:\n" + g_eval_suite() + 'thresholds:\n  correctness: { mean: ">= 0.8", pass_rate: ">= 0.8" }\n'
    return write_gate(directory, data, model_url, body, concurrency=concurrency, judge_url=judge_url)


# deepeval's own runner on the same work: the outputs of run 1, the same judge model object
DEEPEVAL_RUNNER = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from gatewise.config import JudgeConfig
    from gatewise.suites._deepeval_env import load_deepeval
    from gatewise.suites._judge_client import JudgeClient
    load_deepeval(Path(sys.argv[3]))
    from deepeval import evaluate
    from deepeval.evaluate import AsyncConfig, CacheConfig, DisplayConfig
    from deepeval.metrics import GEval
    from deepeval.test_case import LLMTestCase, SingleTurnParams
    from gatewise.suites._judge_model import GatewiseJudge
    judge = GatewiseJudge(JudgeClient(JudgeConfig(base_url=sys.argv[2], model="judge-model", concurrency=1024)))
    cases = []
    for line in Path(sys.argv[1]).read_text().splitlines():
        row = json.loads(line)
        cases.append(LLMTestCase(input=row["messages"][-1]["content"], actual_output=row["output"],
                                 expected_output=row["inputs"]["answer"]))
    metric = GEval(name="correctness", model=judge, criteria=sys.argv[5], evaluation_params=[
        SingleTurnParams.INPUT, SingleTurnParams.ACTUAL_OUTPUT, SingleTurnParams.EXPECTED_OUTPUT])
    evaluate(cases, [metric], async_config=AsyncConfig(max_concurrent=int(sys.argv[4])),
             display_config=DisplayConfig(show_indicator=False, print_results=False),
             cache_config=CacheConfig(write_cache=False, use_cache=False))
""")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--deepeval", action="store_true", help="also time deepeval's own evaluate() runner")
    args = parser.parse_args()
    gatewise = str(BIN / "gatewise")

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        data = write_rows(work, args.rows)
        model = Standin("--answers", str(data), "--quality", "0.9")
        judge = Standin("--model-id", "judge-model", "--latency-ms", str(args.latency_ms))
        try:
            config = judge_gate(work, data, model.url, judge.url, args.concurrency)
            gate = [gatewise, "gate", "--config", str(config), "--quiet", "--cache-dir", str(work / "cache")]
            wall, code, peak = measured([*gate, "--no-cache", "--out", str(work / "out1")], work)
            ideal = (args.rows + 1) * args.latency_ms / 1000 / args.concurrency  # +1: G-Eval's steps, once
            result = json.loads((work / "out1" / "gate-result.json").read_text())
            print(f"judge gate N={args.rows} L={args.latency_ms:g} ms C={args.concurrency}: wall {wall:.2f} s "
                  f"(target <= 4.5 s), ideal judge time {ideal:.2f} s, exit {code}, peak RSS {peak} MiB")
            print(f"  stages: {result['timings_s']}; correctness mean {result['metrics']['correctness']['mean']:.3f}")

            wall2, code2, _ = measured([*gate, "--out", str(work / "out2")], work)
            print(f"re-run, judge answers from the cache: wall {wall2:.2f} s, exit {code2}")

            if args.deepeval:
                scratch = work / "deepeval"
                scratch.mkdir()
                theirs, code3, peak3 = measured(
                    [sys.executable, "-c", DEEPEVAL_RUNNER, str(work / "out1" / "results.jsonl"), judge.url,
                     str(scratch), str(args.concurrency), G_EVAL_CRITERIA], scratch)
                print(f"deepeval evaluate(), AsyncConfig(max_concurrent={args.concurrency}), same judge model, "
                      f"whole process: wall {theirs:.2f} s, exit {code3}, peak RSS {peak3} MiB; "
                      f"ratio deepeval/gatewise {theirs / wall:.2f} (gatewise's run also calls the model)")
        finally:
            model.stop()
            judge.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
