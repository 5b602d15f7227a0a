"""Report files of a gate run: gate-result.json, results.jsonl, summary.md and junit.xml.

One module per format, each a ``write_*(result, out_dir) -> Path``; ``write_reports`` writes them
all. Evidently's HTML report is written by the suites worker, not here. Nothing heavy is
imported (only the standard library), so the CLI can load this cheaply.
"""

from ._format import code_block, code_span, escape_inline
from ._gate_result import GATE_RESULT_FILE, render_gate_result, write_gate_result
from ._junit import JUNIT_FILE, render_junit, write_junit
from ._redact import redact_secrets
from ._reports import WRITERS, write_reports
from ._results_jsonl import RESULTS_FILE, render_results_line, write_results_jsonl
from ._summary import GITHUB_COMMENT_LIMIT, SUMMARY_FILE, render_summary, write_summary

HTML_FILE = "report.html"
# every file a run writes into --out; a new run clears them first, so a stale verdict from an
# earlier run can never be read as this run's
REPORT_FILES = (GATE_RESULT_FILE, RESULTS_FILE, SUMMARY_FILE, JUNIT_FILE, HTML_FILE)

__all__ = [
    "GATE_RESULT_FILE", "GITHUB_COMMENT_LIMIT", "HTML_FILE", "JUNIT_FILE", "REPORT_FILES", "RESULTS_FILE",
    "SUMMARY_FILE", "WRITERS",
    "code_block", "code_span", "escape_inline", "redact_secrets",
    "render_gate_result", "render_junit", "render_results_line", "render_summary", "write_gate_result", "write_junit",
    "write_reports", "write_results_jsonl", "write_summary",
]
