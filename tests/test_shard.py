"""Sharded gates: ``gate --shard K/N`` runs one shard's rows into a partial directory, ``merge``
checks the shards and decides exactly as one unsharded run would on the same answers."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

from gatewise.cli import main
from gatewise.shard import parse_shard
from gatewise.shard._spec import shard_of_row
from gatewise.standin import StandinServer

from .conftest import example_rows, write_gate

# the parts of gate-result.json that say how long things took, or when; nothing else may differ
TIMING_KEYS = ("started_at", "timings_s", "shards")


def many_rows(n: int) -> list[dict]:
    base = example_rows()
    return [{**base[i % len(base)], "id": f"row{i:04d}"} for i in range(n)]


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def verdict_document(out: Path) -> dict:
    document = json.loads((out / "gate-result.json").read_text(encoding="utf-8"))
    return {k: v for k, v in document.items() if k not in TIMING_KEYS}


def run_shards(capsys, config: Path, root: Path, count: int, *flags: str) -> list[Path]:
    dirs = []
    for index in range(1, count + 1):
        out = root / f"shard-{index}"
        code, stdout, stderr = cli(capsys, "gate", "--config", str(config), "--shard", f"{index}/{count}",
                                   "--out", str(out), "--cache-dir", str(root / "cache"), *flags)
        assert code == 0, stderr
        assert f"shard {index}/{count}" in stdout
        dirs.append(out)
    return dirs


def test_shards_are_disjoint_cover_every_row_and_ignore_row_order():
    ids = [f"row-{i}" for i in range(2000)]
    shuffled = random.Random(3).sample(ids, len(ids))
    for count in (1, 2, 4, 7):
        placed = {row: shard_of_row(row, count) for row in ids}
        assert {row: shard_of_row(row, count) for row in shuffled} == placed
        assert set(placed.values()) == set(range(1, count + 1))
        # each row in exactly one shard, and the shards roughly even
        sizes = [sum(1 for s in placed.values() if s == k) for k in range(1, count + 1)]
        assert sum(sizes) == len(ids) and min(sizes) > len(ids) / count * 0.8


def test_the_row_to_shard_mapping_is_sha256_of_the_id_and_never_changes():
    # sha256(id)[:8] as a big-endian integer, mod N, plus one: pinned, so shards made by one
    # machine or release are merged by another
    import hashlib

    for row_id in ("row0000", "row0001", "q-17", "日本"):
        expected = int.from_bytes(hashlib.sha256(row_id.encode()).digest()[:8], "big") % 7 + 1
        assert shard_of_row(row_id, 7) == expected
    assert [shard_of_row(x, 4) for x in ("row0000", "row0001", "q-17", "日本")] == [3, 3, 1, 4]


@pytest.mark.parametrize("text", ["0/4", "5/4", "1/0", "a/4", "1", "1/4/2", "-1/4"])
def test_a_bad_shard_spec_is_bad_input(tmp_path, capsys, text):
    config = write_gate(tmp_path, "http://127.0.0.1:9/v1", rows=many_rows(4))
    code, _, stderr = cli(capsys, "gate", "--config", str(config), f"--shard={text}", "--out", str(tmp_path / "o"))
    assert code == 2 and "--shard" in stderr
    assert not (tmp_path / "o").exists(), "bad input wrote nothing"
    assert str(parse_shard("2/4")) == "2/4"


@pytest.fixture()
def sharded(tmp_path, capsys, answers):
    """One gate (80 rows, a model right ~80% of the time, 2 repeats), its answers cached once, then
    run unsharded and in 4 shards from those same answers."""
    with StandinServer(answers=answers, quality=0.8) as server:
        config = write_gate(tmp_path, server.base_url, rows=many_rows(80), endpoint={"concurrency": 4},
                            thresholds='\n  correctness: { pass_rate: ">= 0.9" }\n  format: { pass_rate: ">= 0.98" }\n'
                                       '  latency_ms: { p95: "<= 5000" }\n',
                            extra="repeats: 2\nmax_errors: 2\nconfidence: { mode: confident, resamples: 500 }\n")
        cache = ["--cache", "--cache-dir", str(tmp_path / "cache")]
        assert cli(capsys, "gate", "--config", str(config), "--out", str(tmp_path / "warm"), *cache)[0] in (0, 1)
        asked = server.stats.completions
        code, _, stderr = cli(capsys, "gate", "--config", str(config), "--out", str(tmp_path / "whole"), *cache)
        assert code in (0, 1), stderr
        dirs = run_shards(capsys, config, tmp_path, 4, "--cache")
        assert server.stats.completions == asked, "the runs compared replay the same answers"
    return tmp_path, config, dirs, code


def test_a_gate_merged_from_four_shards_decides_exactly_as_one_run(sharded, capsys):
    root, config, dirs, whole_code = sharded
    code, stdout, stderr = cli(capsys, "merge", *map(str, dirs), "--out", str(root / "merged"))
    assert code == whole_code == 1, stderr  # correctness 0.8 < 0.9: a failing gate, with intervals
    merged, whole = verdict_document(root / "merged"), verdict_document(root / "whole")
    assert merged == whole
    assert whole["intervals"] and whole["repeats"]["suites"], "the comparison covers intervals and agreement"
    assert json.loads((root / "merged" / "gate-result.json").read_text())["shards"] == 4
    # results.jsonl in dataset order, scored, the same lines as the unsharded run's
    assert (root / "merged" / "results.jsonl").read_text() == (root / "whole" / "results.jsonl").read_text()
    for name in ("junit.xml", "report.html"):
        assert (root / "merged" / name).stat().st_size > 0
    summary = (root / "merged" / "summary.md").read_text(encoding="utf-8")
    assert "merged from 4 shards" in summary
    assert "merged from" not in (root / "whole" / "summary.md").read_text(encoding="utf-8")


def test_merge_with_no_html_decides_the_same_and_draws_no_page(sharded, capsys):
    root, config, dirs, whole_code = sharded
    code, _, stderr = cli(capsys, "merge", *map(str, dirs), "--out", str(root / "plain"), "--no-html")
    assert code == whole_code, stderr
    assert verdict_document(root / "plain") == verdict_document(root / "whole")
    assert (root / "plain" / "results.jsonl").read_text() == (root / "whole" / "results.jsonl").read_text()
    assert not (root / "plain" / "report.html").exists() and (root / "plain" / "junit.xml").exists()


def test_a_shard_directory_is_partial_and_holds_what_merge_needs(sharded):
    _, config, dirs, _ = sharded
    rows = 0
    for index, directory in enumerate(dirs, start=1):
        state = json.loads((directory / "gatewise-run.json").read_text())
        assert state["format"] == "gatewise.run/v1" and state["partial"] is True and state["state"] == "done"
        assert state["shard"] == {"index": index, "count": 4}
        assert state["config"]["sha256"] and state["dataset"]["sha256"] and state["gatewise_version"]
        assert not (directory / "gate-result.json").exists(), "a shard decides nothing"
        lines = [json.loads(line) for line in (directory / "results.jsonl").read_text().splitlines()]
        assert all(shard_of_row(line["row_id"], 4) == index for line in lines)
        # each row's checks are scored by its shard; merge measures only what needs every row
        assert all(set(line["scores"]) == {"correctness.ExactMatch", "format.length"} for line in lines)
        assert len(lines) == 2 * state["rows"]  # each repeat its own answer
        rows += state["rows"]
    assert rows == 80


def test_publish_and_promote_refuse_a_shard(sharded, capsys):
    _, config, dirs, _ = sharded
    code, _, stderr = cli(capsys, "publish", "--out", str(dirs[0]), "--no-comment", "--no-status")
    assert code == 2 and "shard 1/4" in stderr and "gatewise merge" in stderr
    # promote --result reads the result through check_gate_result, before MLflow or GitHub
    from gatewise.config import load_config
    from gatewise.errors import InputError
    from gatewise.promotion._gate_result import check_gate_result

    with pytest.raises(InputError, match=r"shard 1/4 of a sharded gate.*gatewise merge") as refused:
        check_gate_result(load_config(config), dirs[0])
    assert refused.value.exit_code == 2


def _merge_refused(capsys, root: Path, dirs, needle: str) -> None:
    out = root / "refused"
    code, _, stderr = cli(capsys, "merge", *map(str, dirs), "--out", str(out))
    assert code == 2, stderr
    assert needle in stderr, stderr
    assert not out.exists(), "a refused merge writes nothing"


def test_merge_refuses_a_missing_or_repeated_shard(sharded, capsys):
    root, _, dirs, _ = sharded
    _merge_refused(capsys, root, dirs[:3], "shard 4/4 missing: merge needs all 4")
    # in a fan-out a failed shard job (exit 3) leaves no directory: merge says where to look
    _merge_refused(capsys, root, dirs[:3], "The job running `gatewise gate --shard 4/4` probably failed or never "
                                           "ran: see its log")
    _merge_refused(capsys, root, dirs[:2], "shards 3/4, 4/4 missing")
    _merge_refused(capsys, root, [*dirs, dirs[1]], f"{dirs[1]}: shard 2/4 is given twice")


def test_merge_refuses_shards_of_another_config_or_dataset_or_count(sharded, capsys):
    root, config, dirs, _ = sharded
    for key, value in (("config", {"path": "x.yaml", "sha256": "0" * 64}),
                       ("dataset", {"path": "x.jsonl", "sha256": "1" * 64, "rows": 80}),
                       ("shard", {"index": 3, "count": 5})):
        odd = root / f"odd-{key}"
        shutil.copytree(dirs[2], odd)
        state = json.loads((odd / "gatewise-run.json").read_text())
        state[key] = value
        (odd / "gatewise-run.json").write_text(json.dumps(state))
        _merge_refused(capsys, root, [dirs[0], dirs[1], odd, dirs[3]], f"{odd}: its ")


def test_merge_refuses_a_row_twice_or_an_unfinished_shard(sharded, capsys):
    root, _, dirs, _ = sharded
    twice = root / "twice"
    shutil.copytree(dirs[3], twice)
    stray = (dirs[0] / "results.jsonl").read_text().splitlines(keepends=True)[0]
    with (twice / "results.jsonl").open("a") as handle:
        handle.write(stray)
    _merge_refused(capsys, root, [*dirs[:3], twice], f"{twice}: row ")
    unfinished = root / "unfinished"
    shutil.copytree(dirs[3], unfinished)
    state = json.loads((unfinished / "gatewise-run.json").read_text())
    (unfinished / "gatewise-run.json").write_text(json.dumps({**state, "state": "running"}))
    _merge_refused(capsys, root, [*dirs[:3], unfinished], "shard 4/4 did not finish: its run probably failed")
    _merge_refused(capsys, root, [*dirs[:3], unfinished], "see its log); run it again with `gatewise gate --resume")
    _merge_refused(capsys, root, [*dirs[:3], root / "whole"], "a whole (unsharded) gate run, not a shard")


def test_a_shard_whose_endpoint_is_down_fails_closed(tmp_path, capsys):
    config = write_gate(tmp_path, "http://127.0.0.1:9/v1", rows=many_rows(8), endpoint={"max_retries": 0})
    code, _, stderr = cli(capsys, "gate", "--config", str(config), "--shard", "1/2", "--out", str(tmp_path / "s"))
    assert code == 3, stderr
    assert not (tmp_path / "s" / "results.jsonl").exists()
    state = json.loads((tmp_path / "s" / "gatewise-run.json").read_text())
    assert state["state"] == "running", "a shard that got no answers is never marked done"


def test_merge_refuses_an_edited_config_or_its_own_shard_as_out(sharded, capsys):
    root, config, dirs, _ = sharded
    edited = root / "edited.yaml"
    edited.write_text(config.read_text() + "\n# a comment is a change too\n")
    out = root / "refused"
    code, _, stderr = cli(capsys, "merge", *map(str, dirs), "--config", str(edited), "--out", str(out))
    assert code == 2 and str(edited) in stderr and "give that config with --config" in stderr
    assert not out.exists()
    code, _, stderr = cli(capsys, "merge", *map(str, dirs), "--out", str(dirs[0]))
    assert code == 2 and "is one of the shard directories" in stderr
    assert not (dirs[0] / "gate-result.json").exists()


def test_more_shards_than_rows_leaves_some_empty_and_merges(tmp_path, capsys, answers):
    with StandinServer(answers=answers) as server:
        config = write_gate(tmp_path, server.base_url, rows=many_rows(5))
        dirs = run_shards(capsys, config, tmp_path, 9)
        code, _, stderr = cli(capsys, "merge", *map(str, dirs), "--out", str(tmp_path / "merged"))
        whole = cli(capsys, "gate", "--config", str(config), "--out", str(tmp_path / "whole"))[0]
    assert code == whole == 0, stderr
    states = [json.loads((d / "gatewise-run.json").read_text()) for d in dirs]
    assert sum(s["rows"] for s in states) == 5 and any(s["rows"] == 0 for s in states)
    lines = [json.loads(line) for line in (tmp_path / "merged" / "results.jsonl").read_text().splitlines()]
    assert [line["row_id"] for line in lines] == [f"row{i:04d}" for i in range(5)]


def test_one_shard_of_one_merges_into_the_whole_gate(tmp_path, capsys, answers):
    with StandinServer(answers=answers, quality=0.5) as server:
        config = write_gate(tmp_path, server.base_url, rows=many_rows(20))
        dirs = run_shards(capsys, config, tmp_path, 1)
        code, stdout, _ = cli(capsys, "merge", str(dirs[0]), "--out", str(tmp_path / "merged"))
    assert code == 1 and "FAILED" in stdout
    document = json.loads((tmp_path / "merged" / "gate-result.json").read_text())
    assert "shards" not in document and document["dataset"]["rows"] == 20


def test_a_gate_with_adaptive_repeats_cannot_be_sharded(tmp_path, capsys, answers):
    with StandinServer(answers=answers) as server:
        config = write_gate(tmp_path, server.base_url, rows=many_rows(8), thresholds="",
                            extra=f"repeats: auto\nbaseline:\n  endpoint:\n    base_url: {server.base_url}\n"
                                  "    model: standin-model\n")
        asked = server.stats.completions
        code, _, stderr = cli(capsys, "gate", "--config", str(config), "--shard", "1/2", "--out", str(tmp_path / "s"))
        assert server.stats.completions == asked, "refused before any call"
    assert code == 2 and "repeats: auto" in stderr and "cannot be sharded" in stderr
    assert not (tmp_path / "s").exists()
