"""Which function scores which kind of suite, filled by the ``@suite_kind`` decorator.

A kind's name is the ``SuiteConfig`` key that holds its settings (``evidently:``, ``judge:``, ``drift:`` …),
so a new kind of suite is a new module with a decorated function, not an edit here.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence, TypeVar

from ..scores import Score

ScoreFn = Callable[..., tuple[Score, ...]]
F = TypeVar("F", bound=ScoreFn)

_SCORERS: dict[str, ScoreFn] = {}


def suite_kind(name: str) -> Callable[[F], F]:
    """Register ``fn(samples, suites, ...)`` as the scorer of suites of ``name``: it returns
    ``tuple[Score, ...]`` (per-row kinds) or ``Measured`` (dataset-level kinds: scores and statistics)."""

    def register(fn: F) -> F:
        if name in _SCORERS and _SCORERS[name] is not fn:
            raise ValueError(f"suite kind {name!r} is already registered to {_SCORERS[name].__qualname__}")
        _SCORERS[name] = fn
        return fn

    return register


def scorer(kind: str) -> ScoreFn:
    """The scoring function registered for ``kind``."""
    try:
        return _SCORERS[kind]
    except KeyError:
        raise KeyError(f"no suite kind {kind!r}; known: {', '.join(sorted(_SCORERS))}") from None


def suite_kinds() -> tuple[str, ...]:
    return tuple(_SCORERS)


def kind_of(suite: Any) -> str | None:
    """The registered kind whose key is set on ``suite`` (a ``SuiteConfig``), or None."""
    return next((kind for kind in _SCORERS if getattr(suite, kind, None)), None)


def suites_of_kind(suites: Sequence[Any], kind: str) -> list[Any]:
    return [suite for suite in suites if kind_of(suite) == kind]
