"""Per-row observations of every metric, held as columns: the one grouping that aggregates,
intervals, repeat agreement and the baseline comparison all read, so they can never disagree about a row."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import compress, count, repeat
from operator import attrgetter, is_not, truth
from typing import Any, Iterable, Iterator, Sequence

from ..config import GateConfig
from ..samples import Sample
from ..scores import Score


@dataclass(frozen=True, slots=True)
class Observation:
    """One metric on one sample (row x repeat). ``value`` is None when it could not be measured."""

    row_id: str
    repeat: int
    value: float | None
    passed: bool
    errored: bool


_COLUMNS = ("row_ids", "repeats", "values", "passed", "errored")


class Observations:
    """One metric's observations, one entry per sample (row x repeat), as parallel immutable columns
    (tuples), with numpy views of them built once when a reader asks. No object per entry: at
    100 000 rows, 600 000 ``Observation`` objects were the verdict's largest cost. Iterating yields
    ``Observation`` values, for readers that want one entry at a time."""

    __slots__ = (*_COLUMNS, "_arrays")

    row_ids: tuple[str, ...]
    repeats: tuple[int, ...]
    values: tuple[float | None, ...]  # None: not measured
    passed: tuple[bool, ...]
    errored: tuple[bool, ...]

    def __init__(self, row_ids: Iterable[str], repeats: Iterable[int], values: Iterable[float | None],
                 passed: Iterable[bool], errored: Iterable[bool]) -> None:
        columns = tuple(map(tuple, (row_ids, repeats, values, passed, errored)))
        if len(set(map(len, columns))) > 1:
            raise ValueError("every column of observations needs one entry per sample")
        for name, column in zip(_COLUMNS, columns):
            object.__setattr__(self, name, column)
        object.__setattr__(self, "_arrays", {})

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Observations are immutable")

    @classmethod
    def of(cls, items: "Observations | Iterable[Observation]") -> "Observations":
        """``items`` as columns: itself when it already is, else from ``Observation`` values."""
        if isinstance(items, Observations):
            return items
        items = tuple(items)
        return cls(*(map(attrgetter(name), items) for name in ("row_id", "repeat", "value", "passed", "errored")))

    def __len__(self) -> int:
        return len(self.row_ids)

    def __iter__(self) -> Iterator[Observation]:
        return map(Observation, self.row_ids, self.repeats, self.values, self.passed, self.errored)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Observations):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in _COLUMNS)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Observations({len(self)} entries, {len(set(self.row_ids))} rows)"

    def select(self, keep: Iterable[Any]) -> "Observations":
        """The entries whose ``keep`` is true, in their order."""
        keep = tuple(map(truth, keep))
        return Observations(*(compress(getattr(self, name), keep) for name in _COLUMNS))

    def measured_values(self) -> list[float]:
        """The measured values, in entry order, as the scores gave them."""
        return list(compress(self.values, self.measured().tolist()))

    def passed_count(self) -> int:
        return sum(map(truth, self.passed))

    def error_count(self) -> int:
        return sum(map(truth, self.errored))

    @property
    def repeated(self) -> bool:
        """Whether any entry is a repeat (its row asked more than once)."""
        return any(self.repeats)

    # numpy views, each built on first use and kept (read-only)

    def rows(self):
        """Each entry's row as a number: the position of that row's first entry, so the rows'
        first-seen order is their numbers' ascending order, and numbers are below ``len(self)``."""
        def build():
            import numpy as np

            same = self._arrays.get("same rows as")
            if same is not None:
                return same.rows()
            first: dict[str, int] = {}
            # setdefault keeps a row's first position; the loop runs in C
            return np.fromiter(map(first.setdefault, self.row_ids, count()), dtype=np.intp, count=len(self))
        return self._array("rows", build)

    def _numbered_like(self, others: list["Observations"]) -> "Observations":
        """Note the first of ``others`` with the same row ids in the same order: its row numbers are
        this one's too (every check of a run usually has the samples' rows: numbered once)."""
        for other in others:
            if other.row_ids == self.row_ids and other is not self:
                self._arrays["same rows as"] = other
                break
        else:
            others.append(self)
        return self

    def value_array(self):
        """Values as floats, NaN where unmeasured (mask with ``measured()``)."""
        def build():
            import numpy as np

            return np.array(self.values, dtype=float) if self.values else np.zeros(0)
        return self._array("values", build)

    def measured(self):
        def build():
            import numpy as np

            return np.fromiter(map(is_not, self.values, repeat(None)), dtype=bool, count=len(self))
        return self._array("measured", build)

    def passed_array(self):
        def build():
            import numpy as np

            return np.array(self.passed, dtype=bool) if self.passed else np.zeros(0, dtype=bool)
        return self._array("passed", build)

    def errored_array(self):
        def build():
            import numpy as np

            return np.array(self.errored, dtype=bool) if self.errored else np.zeros(0, dtype=bool)
        return self._array("errored", build)

    def _array(self, name: str, build):
        found = self._arrays.get(name)
        if found is None:
            found = self._arrays[name] = build()
            if found.flags.writeable:
                found.setflags(write=False)
        return found


NO_OBSERVATIONS = Observations((), (), (), (), ())


def observations(config: GateConfig, samples: Sequence[Sample],
                 scores: Sequence[Score]) -> dict[str, Observations]:
    """``metric -> observations`` for every suite, every check, ``latency_ms`` and ``errors``."""
    by_metric: dict[str, list[Score]] = {}
    for score in scores:
        by_metric.setdefault(score.metric, []).append(score)

    out: dict[str, Observations] = {}
    judge_errors: set[tuple[str, int]] = set()
    for suite in config.suites:
        if suite.judge is not None:
            name = f"{suite.name}.{suite.judge.metric}"
            judged = by_metric.get(name, [])
            # the row's value is the judge's score; a row it could not judge is an error, not a 0
            out[name] = out[suite.name] = _observe_all(judged)
            judge_errors.update((s.row_id, s.repeat) for s in judged if s.error is not None)
            continue
        if suite.kind in ("classification", "regression"):
            # one score per row (right class / absolute error), kept for pairing with a baseline
            out[suite.name] = _observe_all(by_metric.get(suite.name, []))
            continue
        if suite.kind == "drift":
            continue  # a property of the whole dataset, not of rows
        labels = suite.tool_calls.check_labels() if suite.tool_calls is not None else \
            [check.label for check in suite.evidently or ()]
        checks = []
        for label in labels:
            name = f"{suite.name}.{label}"
            out[name] = _observe_all(by_metric.get(name, []))
            checks.append(out[name])
        out[suite.name] = _suite_rows(checks)

    measured = [s for s in samples if s.ok and s.latency_ms is not None]
    out["latency_ms"] = Observations(map(attrgetter("row_id"), measured), map(attrgetter("repeat"), measured),
                                     map(attrgetter("latency_ms"), measured), repeat(True, len(measured)),
                                     repeat(False, len(measured)))
    # rows that errored: their call failed, or the judge could not judge them (fail closed)
    ok = [s.ok and (s.row_id, s.repeat) not in judge_errors for s in samples] if judge_errors else \
        list(map(attrgetter("ok"), samples))
    out["errors"] = Observations(map(attrgetter("row_id"), samples), map(attrgetter("repeat"), samples),
                                 [0.0 if good else 1.0 for good in ok], ok, repeat(False, len(samples)))
    numbered: list[Observations] = []
    for items in out.values():
        if len(items):  # the shared empty one is left as it is
            items._numbered_like(numbered)
    return out


def _observe_all(scores: Sequence[Score]) -> Observations:
    # column by column, each loop in C: this runs over every score
    errored = tuple(map(is_not, map(attrgetter("error"), scores), repeat(None)))
    values: Iterable[float | None] = map(attrgetter("value"), scores)
    if any(errored):
        values = [None if bad else value for value, bad in zip(values, errored)]
    return Observations(map(attrgetter("row_id"), scores), map(attrgetter("repeat"), scores), values,
                        map(attrgetter("passed"), scores), errored)


def _suite_rows(checks: Sequence[Observations]) -> Observations:
    """A suite's own entry per (row, repeat): the share of its checks that passed (None when one
    errored), passed when all did; entries in the order their (row, repeat) was first scored."""
    import numpy as np

    if not checks or not any(map(len, checks)):
        return NO_OBSERVATIONS
    first = checks[0]
    if all(c.row_ids == first.row_ids and c.repeats == first.repeats for c in checks) and _distinct_keys(first):
        # every check scored the same samples in the same order (the usual case): add them up in place
        entries = first
        counts = np.full(len(first), len(checks))
        passes = np.sum([c.passed_array() for c in checks], axis=0, dtype=np.intp)
        errored = np.any([c.errored_array() for c in checks], axis=0)
    else:
        entries, counts, passes, errored = _tallied(checks)
    values = (passes / counts).tolist()  # a float division, as Python's int / int
    bad = errored.tolist()
    if any(bad):
        values = [None if b else v for v, b in zip(values, bad)]
    return Observations(entries.row_ids, entries.repeats, values, (passes == counts).tolist(), bad)


def _distinct_keys(items: Observations) -> bool:
    """Whether no (row, repeat) comes twice (then a check's entries are the suite's entries)."""
    if not items.repeated:
        return len(set(items.row_ids)) == len(items)
    return len(set(zip(items.row_ids, items.repeats))) == len(items)


def _tallied(checks: Sequence[Observations]):
    """Checks that scored different samples: tally each (row, repeat) over every check's entries,
    in first-scored order."""
    import numpy as np

    row_ids = tuple(x for c in checks for x in c.row_ids)
    repeats = tuple(x for c in checks for x in c.repeats)
    first: dict[tuple[str, int], int] = {}
    # each entry's (row, repeat) numbered by its first position: first-scored order is ascending order
    keys = np.fromiter(map(first.setdefault, zip(row_ids, repeats), count()), dtype=np.intp, count=len(row_ids))
    present = np.zeros(len(keys), dtype=bool)
    present[keys] = True
    slot = (np.cumsum(present) - 1)[keys]  # each entry's output position
    picked = np.flatnonzero(present).tolist()
    counts = np.bincount(slot, minlength=len(picked))
    passes = np.bincount(slot, weights=np.concatenate([c.passed_array() for c in checks]),
                         minlength=len(picked)).astype(np.intp)
    errored = np.bincount(slot, weights=np.concatenate([c.errored_array() for c in checks]), minlength=len(picked)) > 0
    entries = Observations(map(row_ids.__getitem__, picked), map(repeats.__getitem__, picked), repeat(None, len(picked)),
                           repeat(False, len(picked)), repeat(False, len(picked)))
    return entries, counts, passes, errored


def values_by_row(items: Observations | Sequence[Observation]) -> dict[str, list[float]]:
    """Measured values grouped by row id (a row's repeats together), in first-seen row order."""
    items = Observations.of(items)
    rows: dict[str, list[float]] = {}
    for row_id, value in zip(items.row_ids, items.values):
        if value is not None:
            rows.setdefault(row_id, []).append(value)
    return rows
