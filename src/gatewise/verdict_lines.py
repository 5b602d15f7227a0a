"""The verdict as the terminal prints it on stdout: the headline, one line per threshold, the
repeats' agreement and the baseline's note. Shared by ``gatewise gate``, ``promote`` and ``demo``."""

from __future__ import annotations

from pathlib import Path

from .readable import counted, readable
from .result import GateResult


def print_verdict(result: GateResult, out: Path | None) -> None:
    verdict = result.verdict
    print(verdict.headline)
    for item in verdict.results:
        mark = "ok  " if item.passed else "FAIL"
        value = "n/a" if item.value is None else readable(item.value)
        ci = f"[{readable(item.ci[0])}, {readable(item.ci[1])}]" if item.ci else ""
        mode = "" if item.threshold.mode == "point" else f", {item.threshold.mode}"
        print(f"  {mark} {item.threshold.key:<32} {value:>10} {ci:<22} (target {item.threshold.expression}{mode})")
    if result.adaptive is not None:
        auto = result.adaptive
        asked = (f"{counted(auto.reasked_rows, 'row')} asked again ({counted(auto.extra_calls, 'extra call')}); "
                 if auto.reasked_rows else "")
        print(f"  repeats: auto: {asked}{auto.reason}")
        for look in auto.thresholds:
            rows = f", {look.reasked_rows} rows asked again" if look.reasked_rows else ""
            pilot = f" and a pilot of {look.pilot_rows} rows" if look.looks == 1 and look.reasked_rows else ""
            print(f"  repeats: auto: {look.key} {look.decision} after {look.looks} ask{'s' * (look.looks > 1)} per "
                  f"row{pilot}{rows}: {look.reason}")
    for suite in result.agreement:
        print(f"  repeats: {suite.suite} agreement {suite.agreement:.1%}, "
              f"{suite.flaky_rows} of {counted(suite.rows, 'row')} flaky ({suite.flakiness:.1%})")
    if result.baseline is not None and result.baseline.note:
        print(f"  baseline: {result.baseline.note}")
    if out is not None:
        html = ", report.html" if (out / "report.html").exists() else ""  # only Evidently suites write it
        print(f"Reports: {out}/ (summary.md, gate-result.json, results.jsonl, junit.xml{html})")
