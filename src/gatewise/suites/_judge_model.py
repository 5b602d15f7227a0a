"""The judge as deepeval sees it: a ``DeepEvalBaseLLM`` whose calls go through ``JudgeClient``.

deepeval asks for JSON matching a pydantic schema (``a_generate(prompt, schema=...)``); the
schema goes to the judge as ``response_format`` (unless ``judge.structured_output`` is off), and
the JSON is read out of the answer here, since a judge without it answers text. An answer that
holds no such JSON raises ``JudgeOutputError``: the row becomes an error, never a score. Imported lazily: it
imports deepeval.
"""

from __future__ import annotations

import json
import re
from contextvars import ContextVar
from typing import Any

from deepeval.models import DeepEvalBaseLLM

from ._judge_client import JudgeClient, JudgeReply
from ._judge_schema import response_format

_TRAILING_COMMA = re.compile(r",\s*([\]}])")
_QUOTE_CHARS = 120


class JudgeOutputError(Exception):
    """The judge answered, but not with the JSON deepeval's prompt asked for."""


class GatewiseJudge(DeepEvalBaseLLM):
    """deepeval's view of the judge endpoint; each reply's model id is noted in ``REPLY_MODELS``."""

    def __init__(self, client: JudgeClient) -> None:
        self._client = client
        super().__init__(client.model)

    def load_model(self, *args: Any, **kwargs: Any) -> JudgeClient:
        return self._client

    def get_model_name(self, *args: Any, **kwargs: Any) -> str:
        return self._client.model

    def generate(self, *args: Any, **kwargs: Any) -> str:
        # gatewise drives deepeval's async path only (a_measure under its own concurrency bound)
        raise RuntimeError("the gatewise judge is asynchronous; call a_measure, not measure")

    async def a_generate(self, prompt: str, schema: Any = None, **kwargs: Any) -> Any:
        wanted = response_format(schema, prompt, self._client.config.max_tokens) if schema is not None else None
        reply = await self._client.complete(prompt, wanted)
        _note_reply(reply)
        return reply.text if schema is None else parse_reply(reply.text, schema)


def parse_reply(text: str, schema: Any) -> Any:
    """The first JSON object in ``text`` as an instance of ``schema``, or ``JudgeOutputError``."""
    from pydantic import ValidationError

    start, end = text.find("{"), text.rfind("}")
    if start == -1 or end < start:
        raise JudgeOutputError(f"the judge's answer holds no JSON object: {_quote(text)}")
    blob = text[start:end + 1]
    try:
        # strict=False: raw control characters inside strings, which guided decoding lets through
        data = json.loads(blob, strict=False)
    except json.JSONDecodeError:
        try:
            data = json.loads(_TRAILING_COMMA.sub(r"\1", blob), strict=False)
        except json.JSONDecodeError:
            raise JudgeOutputError(f"the judge's answer is not valid JSON: {_quote(text)}") from None
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) or "(top)" for e in exc.errors())
        raise JudgeOutputError(
            f"the judge's JSON does not fit deepeval's {schema.__name__} (bad or missing: {fields}): {_quote(text)}"
        ) from None


def _quote(text: str) -> str:
    flat = " ".join(text.split())
    return repr(flat[:_QUOTE_CHARS] + ("…" if len(flat) > _QUOTE_CHARS else ""))


# the model ids each row's judge replies named; the scorer sets a fresh list in each row's task
REPLY_MODELS: ContextVar[list[str] | None] = ContextVar("gatewise_judge_reply_models", default=None)


def _note_reply(reply: JudgeReply) -> None:
    seen = REPLY_MODELS.get()
    if seen is not None and reply.model_id and reply.model_id not in seen:
        seen.append(reply.model_id)
