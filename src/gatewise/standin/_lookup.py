"""Finding which known question a prompt asks: the longest table key contained in the prompt."""

from __future__ import annotations

from collections import Counter
from typing import Iterable

# Long enough that most anchors are unique across a dataset, short enough to fit most questions.
_ANCHOR = 12


class QuestionIndex:
    """Answers "which known question does this prompt contain?" without scanning every question.

    Each question is filed under its rarest 12-character slice; a prompt can only contain the
    questions filed under one of its own slices, so a lookup checks a handful of candidates
    instead of thousands. Questions shorter than a slice are few and simply scanned.
    """

    def __init__(self, questions: Iterable[str]) -> None:
        known = {q for q in questions if q}
        self._exact = frozenset(known)
        # Longest first, then alphabetical: ties break the same way in every process.
        self._short = sorted((q for q in known if len(q) < _ANCHOR), key=lambda q: (-len(q), q))
        long = [(q, _slices(q)) for q in known if len(q) >= _ANCHOR]
        frequency: Counter[str] = Counter()
        for _, slices in long:
            frequency.update(slices)
        # Which anchor a question gets only affects speed, never the answer, so ties may fall anyhow.
        self._filed: dict[str, list[str]] = {}
        for question, slices in long:
            self._filed.setdefault(min(slices, key=frequency.__getitem__), []).append(question)
        self._anchors = frozenset(self._filed)

    def find(self, prompt: str) -> str | None:
        """The longest known question contained in ``prompt``, or None."""
        if prompt in self._exact:
            return prompt
        stripped = prompt.strip()
        if stripped in self._exact:
            return stripped
        best: str | None = None
        for anchor in self._anchors.intersection(_slices(prompt)):
            for question in self._filed[anchor]:
                if _better(question, best) and question in prompt:
                    best = question
        for question in self._short:
            if best is not None and len(question) <= len(best):
                break
            if question in prompt:
                return question
        return best


def _slices(text: str) -> set[str]:
    return {text[i:i + _ANCHOR] for i in range(len(text) - _ANCHOR + 1)}


def _better(question: str, best: str | None) -> bool:
    return best is None or (-len(question), question) < (-len(best), best)
