"""Scoring many rows: the worker scores in chunks exactly as in one batch, and Evidently's page
draws an evenly spread subset of a big run and says so (the verdict still covers every row)."""

from __future__ import annotations

from gatewise.config import SuiteConfig
from gatewise.samples import Message, Sample
from gatewise.suites import ScoringWorker, score_evidently, write_evidently_html
from gatewise.suites._html import HTML_ROWS, rows_for_html
from gatewise.suites._worker import SCORE_CHUNK

SUITES = [SuiteConfig(name="content", evidently=[
    {"descriptor": "ExactMatch", "name": "exact", "expected": "answer"},
    {"descriptor": "TextLength", "name": "length", "max": 12},
])]


def _sample(i: int) -> Sample:
    answer = f"A{i}"
    # every 7th answer is wrong, every 11th call failed: both must keep their place across chunks
    output = None if i % 11 == 0 else (answer if i % 7 else f"wrong {i} and long")
    return Sample(row_id=f"r{i}", inputs={"answer": answer}, messages=(Message("user", f"Q{i}"),), output=output,
                  error="HTTP 503" if output is None else None)


def test_chunked_scores_equal_one_batch_and_keep_row_order():
    samples = tuple(_sample(i) for i in range(SCORE_CHUNK + 1234))
    with ScoringWorker(in_process=True) as worker:
        chunked = worker.score(samples, SUITES)
    assert chunked == score_evidently(samples, SUITES)
    assert [s.row_id for s in chunked[::2]] == [s.row_id for s in samples]
    exact = {s.row_id: s for s in chunked if s.metric == "content.exact"}
    assert exact["r7"].passed is False and exact["r8"].passed is True
    assert exact["r11"].passed is False and exact["r11"].error.startswith("no output")
    last = f"r{SCORE_CHUNK + 1233}"
    assert exact[last].passed == ((SCORE_CHUNK + 1233) % 7 != 0 and (SCORE_CHUNK + 1233) % 11 != 0)


def test_html_rows_are_spread_over_the_whole_run():
    samples = tuple(_sample(i) for i in range(2500))
    shown = rows_for_html(samples, limit=1000)
    assert len(shown) == 1000
    assert shown[0] is samples[0] and shown[-1].row_id in {f"r{i}" for i in range(2497, 2500)}
    assert len({s.row_id for s in shown}) == 1000  # no row twice
    assert rows_for_html(samples[:999], limit=1000) == samples[:999]
    assert len(rows_for_html(tuple(_sample(i) for i in range(HTML_ROWS + 1)))) == HTML_ROWS


def test_html_of_a_subset_says_how_many_rows_it_draws(tmp_path):
    samples = tuple(_sample(i) for i in range(300))
    shown = rows_for_html(samples, limit=100)
    page = write_evidently_html(shown, SUITES, tmp_path / "r.html", total=len(samples)).read_text(encoding="utf-8")
    assert "draws 100 of the run's 300 samples" in page
    body = page.lower().index("<body")
    assert body < page.index("draws 100") < body + 400  # the first thing in the page's body
    whole = write_evidently_html(samples, SUITES, tmp_path / "all.html", total=len(samples)).read_text(encoding="utf-8")
    assert "gatewise: this report draws" not in whole and "content.exact" in whole
