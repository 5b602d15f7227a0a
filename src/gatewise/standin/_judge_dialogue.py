"""The stand-in as judge of conversations: answers deepeval's conversational prompts (knowledge
retention, role adherence, conversation completeness, turn relevancy, conversational G-Eval)
with the JSON deepeval expects, deterministically.

Like the single-turn judge it reads words, not meaning: an assistant turn that says it does not
know ("I am not sure.", the stand-in model's wrong answer) forgets what it was told and is out of
character; one that shares no content word with the user's message before it (another row's
answer) is irrelevant and leaves that intention unmet. Enough for tests that make a model right
or wrong, not a realistic judge.
"""

from __future__ import annotations

import ast
import json
import re
from typing import Any, Callable

from ._judge import _UNSURE, _judged, _reason, _section, reply_from


def conversation_judge_reply(prompt: str, *, garbage_rate: float = 0.0) -> str | None:
    """The judge's answer to a deepeval conversational prompt, or None when ``prompt`` is not one."""
    return reply_from(_ANSWERS, prompt, garbage_rate)


def _turns(prompt: str, label: str) -> list[dict[str, str]]:
    """The turns deepeval printed under ``label`` (a Python list of dicts), judged text unwrapped."""
    text = _section(prompt, label) or "[]"
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            return []
    turns = value if isinstance(value, list) else []
    return [{"role": str(t.get("role")), "content": _judged(str(t.get("content", ""))) or ""}
            for t in turns if isinstance(t, dict)]


def _fails(text: str) -> bool:
    return not text.strip() or bool(_UNSURE.search(text))


_WORD = re.compile(r"[a-z0-9]{4,}")
_COMMON = frozenset("that this with have what which please make want need does will your from would like "
                    "there their about could should into than then them they were when where".split())


def _answers(user: str, reply: str) -> bool:
    """The reply gives an answer that shares a content word with the user's message."""
    if _fails(reply):
        return False
    asked = set(_WORD.findall(user.lower())) - _COMMON
    return not asked or bool(asked & set(_WORD.findall(reply.lower())))


def _exchanges(turns: list[dict[str, str]]) -> list[tuple[str, str]]:
    """(user message, the assistant's reply to it) for every assistant turn."""
    pairs, user = [], ""
    for turn in turns:
        if turn["role"] == "user":
            user = turn["content"]
        elif turn["role"] == "assistant":
            pairs.append((user, turn["content"]))
    return pairs


def _knowledge(prompt: str) -> dict[str, Any]:
    # the fact is the last user message itself: enough to find an answer that forgot it
    user = _section(prompt, "Latest User Message") or ""
    return {"data": {"fact": user}} if user else {"data": {}}


def _retention_verdict(prompt: str) -> dict[str, Any]:
    message = _judged(_section(prompt, "LLM message")) or ""
    if _fails(message):
        return {"verdict": "yes", "reason": "The LLM does not use what the user already told it."}
    return {"verdict": "no"}


def _out_of_character(prompt: str) -> dict[str, Any]:
    verdicts = [{"index": index, "reason": "The assistant gives up instead of playing its role.",
                 "ai_message": turn["content"]}
                for index, turn in enumerate(_turns(prompt, "Messages"))
                if turn["role"] == "assistant" and _fails(turn["content"])]
    return {"verdicts": verdicts}


def _intentions(prompt: str) -> dict[str, Any]:
    return {"intentions": [t["content"] for t in _turns(prompt, "Turns") if t["role"] == "user"]}


def _intention_met(prompt: str) -> dict[str, Any]:
    intention = (_section(prompt, "User Intention") or "").strip()
    turns = _turns(prompt, "Turns")
    for index, turn in enumerate(turns):
        if turn["role"] == "user" and turn["content"].strip() == intention:
            reply = next((t["content"] for t in turns[index + 1:] if t["role"] == "assistant"), "")
            if not _answers(intention, reply):
                return {"verdict": "no", "reason": f"The assistant did not answer {intention!r}."}
    return {"verdict": "yes"}


def _last_turn_relevant(prompt: str) -> dict[str, Any]:
    exchanges = _exchanges(_turns(prompt, "Messages"))
    if not exchanges or not _answers(*exchanges[-1]):
        return {"verdict": "no", "reason": "The last assistant message does not address the user."}
    return {"verdict": "yes"}


def _conversational_g_eval(prompt: str) -> dict[str, Any]:
    low, high = 0, 10
    if (found := re.search(r"An integer from (\d+) to (\d+)", prompt)) is not None:
        low, high = int(found.group(1)), int(found.group(2))
    exchanges = _exchanges(_turns(prompt, "Per-turn fields"))
    if exchanges and all(_answers(user, reply) for user, reply in exchanges):
        return {"reason": "Every assistant turn answers the user.", "score": high}
    return {"reason": "An assistant turn gives no answer.", "score": low}


# marker (a phrase only that template has) -> answer
_ANSWERS: tuple[tuple[str, Callable[[str], dict[str, Any]]], ...] = (
    ("extract **only the factual information found in the most recent user message**", _knowledge),
    ("determine whether the LLM message **contradicts** or **forgets**", _retention_verdict),
    ("Given a list of attritions", _reason),
    ("which `ai_message` did not adhere to the specified chatbot role", _out_of_character),
    ("that is out of character with respect to the specified chatbot role", _reason),
    ("generate a JSON object to extract all user intentions", _intentions),
    ("to indicate whether given user intention was satisfied", _intention_met),
    ("Below is a list of incompletenesses", _reason),
    ("whether the LAST `assistant` message is relevant", _last_turn_relevant),
    ("Below is a list of irrelevancies", _reason),
    ("describe how to assess a conversation between a user and an LLM chatbot", _conversational_g_eval),
)
