"""The stand-in's "model": right with probability ``quality``; deterministic by default, or with
``noise`` a model whose answers vary from call to call around per-question difficulties."""

from __future__ import annotations

import hashlib
import json
import math
import random
import threading
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

    ``noise`` > 0 makes it a noisy model instead (a Rasch / item-response model): every question
    has a latent difficulty d from a hash of the question alone, shared by every model and seed
    (hard questions are hard for all), and each call is right with probability
    sigmoid((a - d) / noise), drawn fresh per call from a generator seeded by ``seed``. The ability
    a is set so the expected share right over the table is ``quality``. Small noise: most questions
    are reliably right or wrong and a few near the model's ability flip between calls; large noise:
    every answer is a coin weighted by ``quality``. Two runs with different seeds are two honest
    runs of the same model; two qualities share the hard questions, as a slightly worse model does.
    """

    def __init__(self, answers: Mapping[str, str], *, quality: float = 1.0, seed: int = 0,
                 answer_format: AnswerFormat = "text", noise: float = 0.0) -> None:
        if not 0.0 <= quality <= 1.0:
            raise ValueError(f"quality must be between 0 and 1, got {quality}")
        if not 0.0 <= noise <= 100.0:
            raise ValueError(f"noise must be between 0 and 100, got {noise}")
        if answer_format not in ("text", "json"):
            raise ValueError(f"answer_format must be 'text' or 'json', got {answer_format!r}")
        self.quality, self.seed, self.answer_format = quality, seed, answer_format
        self._answers = dict(answers)
        self._index = QuestionIndex(self._answers)
        # Sorted so the wrong answer a question gets does not depend on the table's row order.
        self._other_answers = sorted(set(self._answers.values()))
        self.noise = noise
        self._rng = random.Random(seed)
        self._rng_lock = threading.Lock()  # replies may come from several server threads
        self._p_right = _right_probabilities(list(self._answers), quality, noise) if noise > 0 else {}

    def p_right(self, question: str) -> float:
        """The chance a call answers ``question`` right (0 or 1 without noise)."""
        if self.noise > 0:
            return self._p_right[question]
        return 1.0 if _unit(f"{self.seed}\x00{question}") < self.quality else 0.0

    def reply(self, prompt: str) -> str:
        """The completion text for a prompt, formatted as configured."""
        answer = self._answer(self._index.find(prompt))
        return json.dumps({"answer": answer}) if self.answer_format == "json" else answer

    def _answer(self, question: str | None) -> str:
        if question is None:
            return UNSURE_ANSWER
        reference = self._answers[question]
        digest = hashlib.sha256(f"{self.seed}\x00{question}".encode()).digest()
        if self.noise > 0:
            with self._rng_lock:
                right = self._rng.random() < self._p_right[question]
            if right:
                return reference
        elif int.from_bytes(digest[:8], "big") / 2**64 < self.quality:
            return reference
        # One extra slot so some wrong answers are the unsure one rather than another row's.
        pick = int.from_bytes(digest[8:16], "big") % (len(self._other_answers) + 1)
        if pick < len(self._other_answers) and self._other_answers[pick] != reference:
            return self._other_answers[pick]
        return UNSURE_ANSWER if reference != UNSURE_ANSWER else "I don't know."


def _unit(text: str) -> float:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") / 2**64


def difficulty(question: str) -> float:
    """A question's latent difficulty on the logit scale (standard logistic across questions);
    from the question alone, so every model and every seed agrees on it."""
    u = min(max(_unit(f"difficulty\x00{question}"), 1e-12), 1 - 1e-12)
    return math.log(u / (1 - u))


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def _right_probabilities(questions: list[str], quality: float, noise: float) -> dict[str, float]:
    """Per-question P(right) = sigmoid((a - d) / noise), with a found by bisection so that the
    mean over the table is ``quality`` (the mean rises monotonically with a)."""
    if not questions:
        return {}
    d = {q: difficulty(q) for q in questions}
    if quality in (0.0, 1.0):
        return {q: quality for q in questions}

    def mean_right(a: float) -> float:
        return sum(_sigmoid((a - dq) / noise) for dq in d.values()) / len(d)

    low, high = -60.0, 60.0
    for _ in range(80):
        mid = (low + high) / 2
        low, high = (mid, high) if mean_right(mid) < quality else (low, mid)
    a = (low + high) / 2
    return {q: _sigmoid((a - dq) / noise) for q, dq in d.items()}
