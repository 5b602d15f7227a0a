"""The stand-in's deterministic "model": right with probability ``quality``, the same way every time."""

from __future__ import annotations

import hashlib
import json
from typing import Literal, Mapping

from ._lookup import QuestionIndex

AnswerFormat = Literal["text", "json"]

UNSURE_ANSWER = "I am not sure."
"""The answer to a prompt with no known question, and the stock wrong answer (what the demo's
system prompt asks a model to say when it does not know)."""


class StandinModel:
    """Answers prompts from a question -> reference answer table.

    A question gets its reference answer when a hash of (question, seed) falls below
    ``quality``; otherwise a plausible wrong one (another row's answer, or ``UNSURE_ANSWER``).
    The hash, not a random generator, decides, so reruns and concurrent calls agree.
    """

    def __init__(self, answers: Mapping[str, str], *, quality: float = 1.0, seed: int = 0,
                 answer_format: AnswerFormat = "text") -> None:
        if not 0.0 <= quality <= 1.0:
            raise ValueError(f"quality must be between 0 and 1, got {quality}")
        if answer_format not in ("text", "json"):
            raise ValueError(f"answer_format must be 'text' or 'json', got {answer_format!r}")
        self.quality, self.seed, self.answer_format = quality, seed, answer_format
        self._answers = dict(answers)
        self._index = QuestionIndex(self._answers)
        # Sorted so the wrong answer a question gets does not depend on the table's row order.
        self._other_answers = sorted(set(self._answers.values()))

    def reply(self, prompt: str) -> str:
        """The completion text for a prompt, formatted as configured."""
        answer = self._answer(self._index.find(prompt))
        return json.dumps({"answer": answer}) if self.answer_format == "json" else answer

    def _answer(self, question: str | None) -> str:
        if question is None:
            return UNSURE_ANSWER
        reference = self._answers[question]
        digest = hashlib.sha256(f"{self.seed}\x00{question}".encode()).digest()
        if int.from_bytes(digest[:8], "big") / 2**64 < self.quality:
            return reference
        # One extra slot so some wrong answers are the unsure one rather than another row's.
        pick = int.from_bytes(digest[8:16], "big") % (len(self._other_answers) + 1)
        if pick < len(self._other_answers) and self._other_answers[pick] != reference:
            return self._other_answers[pick]
        return UNSURE_ANSWER if reference != UNSURE_ANSWER else "I don't know."
