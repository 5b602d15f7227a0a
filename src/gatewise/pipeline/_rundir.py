"""The run directory's own state: ``gatewise-run.json`` (what run, of which config, dataset and
shard, and whether it finished) and the answers a run kept (results.jsonl, judged.jsonl), read
back for ``--resume`` and ``gatewise merge``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from .. import __version__
from ..errors import InputError
from ..report import RESULTS_FILE, render_results_line
from ..report._atomic import atomic_writer
from ..samples import Sample
from ..scores import Score

RUN_FILE = "gatewise-run.json"
RUN_FORMAT = "gatewise.run/v1"
JUDGED_FILE = "judged.jsonl"  # each row's judge scores as the judge answers (a run in progress)
BASELINE_FILE = "baseline.jsonl"  # a shard's baseline endpoint samples, with their judge scores

Key = tuple[str, int]  # (row id, repeat)


@dataclass(frozen=True)
class RunState:
    """``gatewise-run.json``: written before the first call (``done`` False) and again when the
    run's answers are complete. A shard's directory is ``partial``: merge decides, not the shard."""

    config_path: str
    config_sha256: str
    dataset_path: str
    dataset_sha256: str
    dataset_rows: int
    shard: tuple[int, int] | None  # (K, N), 1-based; None: the whole dataset
    started_at: str
    done: bool = False
    version: str = __version__
    # filled when done: what merge needs beyond the rows
    rows: int = 0  # dataset rows in this run (a shard's share)
    endpoint: Mapping[str, Any] = field(default_factory=dict)  # base_url (public), model, api, served, concurrency
    judge: Mapping[str, Any] = field(default_factory=dict)  # base_url (public), model, calls, cached

    @property
    def partial(self) -> bool:
        return self.shard is not None

    def to_dict(self) -> dict[str, Any]:
        return {"format": RUN_FORMAT, "gatewise_version": self.version, "partial": self.partial,
                "state": "done" if self.done else "running",
                "shard": {"index": self.shard[0], "count": self.shard[1]} if self.shard else None,
                "config": {"path": self.config_path, "sha256": self.config_sha256},
                "dataset": {"path": self.dataset_path, "sha256": self.dataset_sha256, "rows": self.dataset_rows},
                "rows": self.rows, "started_at": self.started_at, "endpoint": dict(self.endpoint),
                "judge": dict(self.judge)}


def write_state(out: Path, state: RunState) -> None:
    with atomic_writer(out / RUN_FILE) as handle:
        handle.write(json.dumps(state.to_dict(), indent=2, ensure_ascii=False) + "\n")


def read_state(out: Path) -> RunState | None:
    """The run state in ``out``; None when there is none. Unreadable or another format is exit 2."""
    path = Path(out) / RUN_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a readable run state ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != RUN_FORMAT:
        found = data.get("format") if isinstance(data, dict) else None
        raise InputError(f"{path}: format is {found!r}, expected {RUN_FORMAT!r}")
    try:
        shard = data.get("shard")
        return RunState(
            config_path=str(data["config"]["path"]), config_sha256=str(data["config"]["sha256"]),
            dataset_path=str(data["dataset"]["path"]), dataset_sha256=str(data["dataset"]["sha256"]),
            dataset_rows=int(data["dataset"]["rows"]),
            shard=(int(shard["index"]), int(shard["count"])) if shard else None,
            started_at=str(data["started_at"]), done=data.get("state") == "done",
            version=str(data["gatewise_version"]), rows=int(data.get("rows") or 0),
            endpoint=dict(data.get("endpoint") or {}), judge=dict(data.get("judge") or {}))
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{path}: not a complete run state ({type(exc).__name__} {exc})") from None


def shard_of(out: Path) -> tuple[int, int] | None:
    """(K, N) when ``out`` holds one shard of a sharded gate (a partial result), else None."""
    try:
        state = read_state(out)
    except InputError:
        return None
    return state.shard if state is not None else None


def refuse_partial(out: Path, what: str) -> None:
    """``publish`` and ``promote`` decide nothing from one shard: exit 2, saying what to do."""
    shard = shard_of(out)
    if shard is not None:
        raise InputError(f"{out} holds shard {shard[0]}/{shard[1]} of a sharded gate, a partial result with no "
                         f"verdict; run `gatewise merge` over every shard's directory and {what} its --out")


@dataclass(frozen=True)
class Answers:
    """What a run already has: samples by (row id, repeat) and the judge scores of the rows judged."""

    samples: Mapping[Key, Sample] = field(default_factory=dict)
    judged: Mapping[Key, tuple[Score, ...]] = field(default_factory=dict)


def sample_record(sample: Sample, judged: Iterable[Score] = ()) -> str:
    """One results.jsonl line: the sample's fields and, where it has them, its judge scores."""
    record = sample.to_dict()
    scores = {s.metric: score_record(s) for s in judged}
    if scores:
        record["scores"] = scores
    return render_results_line(record)


def score_record(score: Score) -> dict[str, Any]:
    return {"value": score.value, "passed": score.passed, "error": score.error, "reason": score.reason,
            "judge_model": score.judge_model}


def judged_record(scores: tuple[Score, ...]) -> str:
    first = scores[0]
    return render_results_line({"row_id": first.row_id, "repeat": first.repeat,
                                "scores": {s.metric: score_record(s) for s in scores}})


def load_answers(out: Path, judge_suites: frozenset[str], *, results: str = RESULTS_FILE) -> Answers:
    """The answered samples in ``out/results`` (streamed or finished; a torn last line is dropped,
    a row whose call errored counts as not answered) and the judge scores of rows every judge suite
    judged without an error (in results.jsonl or judged.jsonl)."""
    samples, judged, _ = read_rows(out / results, judge_suites)
    if results == RESULTS_FILE:
        for record in results_records(out / JUDGED_FILE):
            _keep_judged(judged, record, judge_suites)
    answered = {(s.row_id, s.repeat): s for s in samples if s.ok}
    # a judge score without its sample is of no use: the row is asked and judged again
    # a row the judge failed on is judged again too
    return Answers(answered, {key: scores for key, scores in judged.items()
                              if key in answered and all(s.error is None for s in scores)})


def read_rows(path: Path, judge_suites: frozenset[str]) -> tuple[list[Sample], dict[Key, tuple[Score, ...]],
                                                                 dict[Key, tuple[Score, ...]]]:
    """Every sample in ``path`` (errored ones too), in file order; the judge scores and the other
    (Evidently row check) scores each line carries, by (row id, repeat)."""
    samples: list[Sample] = []
    judged: dict[Key, tuple[Score, ...]] = {}
    checked: dict[Key, tuple[Score, ...]] = {}
    for record in results_records(path):
        sample = Sample.from_dict(record)
        samples.append(sample)
        if judge_suites:
            _keep_judged(judged, record, judge_suites, errors_too=True)
        others = tuple(Score.from_record(sample.row_id, sample.repeat, metric, item)
                       for metric, item in (record.get("scores") or {}).items()
                       if metric.split(".", 1)[0] not in judge_suites)
        if others:
            checked[(sample.row_id, sample.repeat)] = others
    return samples, judged, checked


def _keep_judged(judged: dict[Key, tuple[Score, ...]], record: dict[str, Any], suites: frozenset[str],
                 errors_too: bool = False) -> None:
    key = (str(record["row_id"]), int(record.get("repeat") or 0))
    scores = tuple(Score.from_record(key[0], key[1], metric, item)
                   for metric, item in (record.get("scores") or {}).items() if metric.split(".", 1)[0] in suites)
    if suites and {s.suite for s in scores} == suites and (errors_too or all(s.error is None for s in scores)):
        judged[key] = scores


def results_records(path: Path) -> Iterable[dict[str, Any]]:
    """Each whole line of ``path`` as JSON; a last line without its newline (a kill mid-write, a
    full disk) is dropped. A line in the middle that does not parse is a damaged file: exit 2."""
    import orjson  # a tenth of json's cost: merge reads every row of every shard

    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.endswith(b"\n"):
                return
            if not line.strip():
                continue
            try:
                record = orjson.loads(line)
                record["row_id"]
            except (ValueError, KeyError, TypeError):
                raise InputError(f"{path}:{number}: not a results line; the directory is damaged") from None
            yield record


def rewrite_answers(out: Path, samples: Iterable[Sample], judged: Mapping[Key, tuple[Score, ...]],
                    *, name: str = RESULTS_FILE) -> None:
    """Replace ``out/name`` atomically with ``samples`` (and their judge scores), one line each."""
    with atomic_writer(out / name) as handle:
        handle.writelines(sample_record(s, judged.get((s.row_id, s.repeat), ())) for s in samples)


class JudgedStream:
    """Appends each row's judge scores to ``out/judged.jsonl`` as the judge answers, one write()
    per line like results.jsonl, so a killed run keeps what the judge already said."""

    def __init__(self, out: Path) -> None:
        self.path = Path(out) / JUDGED_FILE
        self._fd: int | None = None

    def write(self, scores: tuple[Score, ...]) -> None:
        import os

        if not scores:
            return
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        data = judged_record(scores).encode("utf-8")
        while data:
            data = data[os.write(self._fd, data):]

    def close(self) -> None:
        import os

        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
