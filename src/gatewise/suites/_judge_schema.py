"""The JSON schema a judge is asked to answer in (OpenAI's ``response_format``): deepeval's own
pydantic schema, bounded so that a guided answer is whole, parseable JSON.

vLLM, SGLang and Ollama enforce the schema with guided decoding, but the grammar alone does not
end a string or a list: a weak judge (a tiny model decoding greedily) repeats a token until
``max_tokens`` cuts the JSON off. So every string and list gets a length that fits the judge's
budget, and G-Eval's score, which deepeval's schema types as any number while its prompt asks for
"an integer between L and H", gets that range.
"""

from __future__ import annotations

import copy
import functools
import re
from typing import Any

_SCORE_RANGE = re.compile(r"an integer between (\d+) and (\d+)")
# A token is at least one character, so strings holding at most max_tokens characters in all
# (less a reserve for keys and punctuation) always end inside the budget, even from a judge that
# emits one-character tokens ("]", ","), as a tiny random model does; ordinary text averages three
# or more characters a token, so a real judge's answer uses about a third of its budget.
_RESERVE_TOKENS = 64
MAX_ITEMS = 10
_MIN_STRING = 32
_DEFAULT_BUDGET = 512


def response_format(schema: Any, prompt: str, max_tokens: int | None) -> dict[str, Any]:
    """``response_format`` for deepeval's pydantic ``schema`` and the ``prompt`` that asks for it; not
    ``strict``: OpenAI's strict mode refuses optional fields and length bounds. One shared value per
    (schema, budget, score range), built once: callers must not change it."""
    return _response_format(schema, max_tokens, _score_range(prompt))


def json_schema(schema: Any, prompt: str, max_tokens: int | None) -> dict[str, Any]:
    """The bounded JSON schema ``response_format`` sends (a copy of its own)."""
    return copy.deepcopy(_response_format(schema, max_tokens, _score_range(prompt))["json_schema"]["schema"])


def _score_range(prompt: str) -> tuple[int, int] | None:
    found = _SCORE_RANGE.search(prompt)
    return (int(found.group(1)), int(found.group(2))) if found is not None else None


@functools.lru_cache(maxsize=256)
def _response_format(schema: Any, max_tokens: int | None, score_range: tuple[int, int] | None) -> dict[str, Any]:
    # built once per (schema, budget, score range), not per call: a deep copy per judge request
    # was the largest share of gatewise's own CPU per judged row (profiled at N=1000)
    bounded = copy.deepcopy(_bounded_schema(schema, max_tokens))
    score = bounded.get("properties", {}).get("score")
    if isinstance(score, dict) and score.get("type") in ("number", "integer") and score_range is not None:
        low, high = score_range
        if low <= high:
            score.update({"type": "integer", "minimum": low, "maximum": high})
    return {"type": "json_schema", "json_schema": {"name": schema.__name__, "schema": bounded}}


@functools.lru_cache(maxsize=64)
def _bounded_schema(schema: Any, max_tokens: int | None) -> dict[str, Any]:
    """``schema``'s JSON schema with its strings and lists bounded: the same for every call with
    the same schema and budget, and pydantic takes ~1 ms to build it (1000 judged rows: 2 s)."""
    document = copy.deepcopy(schema.model_json_schema())
    definitions = document.pop("$defs", {})
    budget = max(_MIN_STRING, (max_tokens or _DEFAULT_BUDGET) - _RESERVE_TOKENS)
    return _bound(document, budget, definitions)


def _bound(node: Any, share: int, definitions: dict[str, Any]) -> Any:
    """``node`` with ``$ref`` inlined (deepeval's schemas are not recursive) and its strings and
    lists bounded to ``share`` characters in all."""
    if not isinstance(node, dict):
        return node
    if isinstance(ref := node.get("$ref"), str) and ref.startswith("#/$defs/"):
        node = {**copy.deepcopy(definitions.get(ref.removeprefix("#/$defs/"), {})),
                **{k: v for k, v in node.items() if k != "$ref"}}
    node = dict(node)
    for key in ("anyOf", "oneOf", "allOf"):
        if isinstance(node.get(key), list):
            node[key] = [_bound(option, share, definitions) for option in node[key]]
    kind = node.get("type")
    if kind == "string" and "enum" not in node and "const" not in node:
        node.setdefault("maxLength", max(_MIN_STRING, share))
    elif kind == "array":
        node.setdefault("maxItems", MAX_ITEMS)
        node["items"] = _bound(node.get("items", {}), share // node["maxItems"], definitions)
    elif kind == "object" and isinstance(node.get("properties"), dict):
        bulky = [name for name, prop in node["properties"].items() if _bulky(prop, definitions)]
        each = share // max(1, len(bulky))
        node["properties"] = {name: _bound(prop, each if name in bulky else share, definitions)
                              for name, prop in node["properties"].items()}
    return node


def _bulky(node: Any, definitions: dict[str, Any]) -> bool:
    """Whether ``node`` can grow without bound (a free string, a list, an object holding one)."""
    if not isinstance(node, dict):
        return False
    if isinstance(ref := node.get("$ref"), str):
        return _bulky(definitions.get(ref.removeprefix("#/$defs/"), {}), definitions)
    if any(isinstance(node.get(key), list) and any(_bulky(o, definitions) for o in node[key])
           for key in ("anyOf", "oneOf", "allOf")):
        return True
    kind = node.get("type")
    return (kind == "string" and "enum" not in node and "const" not in node) or kind in ("array", "object")
