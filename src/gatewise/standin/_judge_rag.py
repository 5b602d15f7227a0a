"""The stand-in judge's answers to deepeval's retrieval prompts (contextual precision, recall and
relevancy), in the JSON shapes deepeval's schemas expect, decided by word overlap.

A passage is useful (precision) when most of its content words are in the expected output; a
sentence of the expected output is attributable (recall) when most of its content words are in
the retrieval context; a statement of a passage is relevant (relevancy) when it shares a content
word with the input.
"""

from __future__ import annotations

import re
from typing import Any

from ._judge import _listed, _reason, _section, _sentences, answers

_STOPWORDS = frozenset("""a an and are as at be by for from has have in is it its of on or that the this to was
were what when where which who why with how there their they does did do""".split())


def content_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _STOPWORDS and len(w) > 1}


def _mostly_in(part: str, whole: str) -> bool:
    words = content_words(part)
    return bool(words) and len(words & content_words(whole)) * 2 >= len(words)


def _retrieval_context(prompt: str) -> list[str]:
    found = None
    for found in re.finditer(r"\nRetrieval Context[^\n]*:\n(.*?)\n\s*\nJSON:", prompt, re.DOTALL):
        pass
    return _listed(found.group(1).strip()) if found else []


@answers("was remotely useful in arriving at the expected output")
def _precision_verdicts(prompt: str) -> dict[str, Any]:
    # the section runs to the blank line before "Retrieval Context  (N documents):"
    found = re.search(r"\nExpected output:\n(.*?)\n\s*\nRetrieval Context", prompt, re.DOTALL)
    expected = found.group(1) if found else ""
    verdicts = []
    for node in _retrieval_context(prompt):
        if _mostly_in(node, expected):
            verdicts.append({"verdict": "yes", "reason": "The passage states what the expected output says."})
        else:
            verdicts.append({"verdict": "no", "reason": "The passage does not help arrive at the expected output."})
    return {"verdicts": verdicts}


@answers("can be attributed to the nodes of retrieval contexts")
def _recall_verdicts(prompt: str) -> dict[str, Any]:
    context = " ".join(_retrieval_context(prompt))
    verdicts = []
    for sentence in _sentences(_section(prompt, "Expected Output") or ""):
        if _mostly_in(sentence, context):
            verdicts.append({"verdict": "yes", "reason": "A node in the retrieval context states this sentence."})
        else:
            verdicts.append({"verdict": "no", "reason": "No node in the retrieval context states this sentence."})
    return {"verdicts": verdicts}


@answers("is relevant to the provided input")
def _relevancy_verdicts(prompt: str) -> dict[str, Any]:
    question = content_words(_section(prompt, "Input") or "")
    verdicts = []
    for statement in _sentences(_section(prompt, "Context") or ""):
        if content_words(statement) & question:
            verdicts.append({"statement": statement, "verdict": "yes"})
        else:
            verdicts.append({"statement": statement, "verdict": "no",
                             "reason": f"'{statement}' has nothing to do with the input."})
    return {"verdicts": verdicts or [{"statement": "", "verdict": "no",
                                      "reason": "No statements found in provided context."}]}


answers("retrieval contexts, and contextual precision score")(_reason)
answers("and a contextual recall score")(_reason)
answers("and the contextual relevancy score")(_reason)
