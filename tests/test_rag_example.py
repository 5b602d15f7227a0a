"""The RAG example (quality/rag/) end to end: the stand-in model answers, the stand-in judge answers
deepeval's faithfulness and contextual precision / recall / relevancy prompts, and the gate
decides. Expected scores are computed here from the stand-in judge's word-overlap rules, restated,
with deepeval's own formulas (precision weights each useful passage by its rank)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from gatewise.standin import StandinServer, load_answer_table

from .conftest import JUDGE_MODEL, gate_cli_run as run, gate_results as results

EXAMPLE = Path(__file__).resolve().parents[1] / "quality" / "rag"
ROWS = [json.loads(line) for line in (EXAMPLE / "data" / "rag.jsonl").read_text(encoding="utf-8").splitlines()]
STOP = set("a an and are as at be by for from has have in is it its of on or that the this to was were what when "
           "where which who why with how there their they does did do".split())


def words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOP and len(w) > 1}


def mostly_in(part: str, whole: str) -> bool:
    return bool(words(part)) and 2 * len(words(part) & words(whole)) >= len(words(part))


def precision(row: dict) -> float:
    useful = [mostly_in(node, row["reference"]) for node in row["retrieval_context"]]
    hits, total = 0, 0.0
    for rank, yes in enumerate(useful, start=1):
        if yes:
            hits += 1
            total += hits / rank
    return total / hits if hits else 0.0


def recall(row: dict) -> float:
    return 1.0 if mostly_in(row["reference"], " ".join(row["retrieval_context"])) else 0.0


def relevancy(row: dict) -> float:
    verdicts = [bool(words(node) & words(row["question"])) for node in row["retrieval_context"]]
    return sum(verdicts) / len(verdicts)


def faithful(row: dict) -> float:
    return 1.0 if row["answer"].lower() in " ".join(row["retrieval_context"]).lower() else 0.0


@pytest.fixture(scope="module")
def rag_model():
    with StandinServer(answers=load_answer_table(EXAMPLE / "data" / "rag.jsonl"), quality=1.0) as server:
        yield server


@pytest.fixture(scope="module")
def rag_judge():
    with StandinServer(model_id=JUDGE_MODEL) as server:
        yield server


def _copy_example(tmp_path: Path, rows: list[dict] | None = None) -> Path:
    target = tmp_path / "rag"
    shutil.copytree(EXAMPLE, target)
    if rows is not None:
        data = target / "data" / "rag.jsonl"
        data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        config = target / "gate.yaml"
        import hashlib

        sha = hashlib.sha256(data.read_bytes()).hexdigest()
        config.write_text(re.sub(r'sha256: "[0-9a-f]{64}"', f'sha256: "{sha}"', config.read_text()), encoding="utf-8")
    return target / "gate.yaml"


def test_the_rag_example_scores_grounding_and_retrieval_as_the_judge_rules_say(tmp_path, capsys, monkeypatch,
                                                                              rag_model, rag_judge):
    monkeypatch.setenv("GATEWISE_JUDGE_URL", rag_judge.base_url)
    code, stdout, stderr = run(capsys, _copy_example(tmp_path), tmp_path / "out", "--endpoint-url", rag_model.base_url)
    assert code == 0, stdout + stderr
    got = {r["row_id"]: r["scores"] for r in results(tmp_path / "out")}
    for row in ROWS:
        scores = got[row["id"]]
        assert scores["grounded.faithfulness"]["value"] == pytest.approx(faithful(row)), row["id"]
        assert scores["retrieval_precision.contextual-precision"]["value"] == pytest.approx(precision(row)), row["id"]
        assert scores["retrieval_recall.contextual-recall"]["value"] == pytest.approx(recall(row)), row["id"]
        assert scores["retrieval_relevancy.contextual-relevancy"]["value"] == pytest.approx(relevancy(row)), row["id"]
        assert scores["retrieval_recall.contextual-recall"]["reason"]  # the judge's reason is kept
    # the example holds a passage ranked below an irrelevant one and a retrieval that missed the answer
    assert {precision(r) for r in ROWS} >= {1.0, 0.5, 0.0}
    metrics = json.loads((tmp_path / "out" / "gate-result.json").read_text())["metrics"]
    assert metrics["retrieval_precision"]["mean"] == pytest.approx(sum(map(precision, ROWS)) / len(ROWS))


def test_a_retriever_that_ranks_noise_first_fails_the_precision_threshold(tmp_path, capsys, monkeypatch,
                                                                          rag_model, rag_judge):
    noisy = [{**row, "retrieval_context": ["Maple syrup is made from the sap of maple trees.",
                                           *row["retrieval_context"]]} for row in ROWS]
    monkeypatch.setenv("GATEWISE_JUDGE_URL", rag_judge.base_url)
    code, stdout, stderr = run(capsys, _copy_example(tmp_path, noisy), tmp_path / "out",
                               "--endpoint-url", rag_model.base_url)
    assert code == 1, stdout + stderr
    assert "retrieval_precision.mean" in stdout
    assert "retrieval_recall" not in stdout.split("\n", 1)[0]  # recall is unchanged: the passages are all there
