"""The JSON shapes of OpenAI's API, as the official client and vLLM produce and expect them
(checked against vLLM itself in tests/test_vllm_standin_parity.py)."""

from __future__ import annotations

import re
from typing import Any

JSON = dict[str, Any]


def error(message: str, type_: str, code: str | int | None = None, param: str | None = None) -> JSON:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def usage(prompt_tokens: int, completion_tokens: int) -> JSON:
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens}


def chat_completion(id_: str, created: int, model: str, content: str | None, finish_reason: str,
                    usage_: JSON, tool_calls: list[JSON] | None = None) -> JSON:
    message: JSON = {"role": "assistant", "content": content, "refusal": None}
    if tool_calls:  # vLLM (0.32) leaves the key out of a text answer
        message["tool_calls"] = tool_calls
    return {
        "id": id_, "object": "chat.completion", "created": created, "model": model,
        "choices": [{"index": 0, "message": message,
                     "logprobs": None, "finish_reason": finish_reason, "stop_reason": None}],
        "usage": usage_, "system_fingerprint": None,
    }


def tool_call(id_: str, name: str, arguments: str) -> JSON:
    """One call in ``message.tool_calls``, as vLLM writes it (``chatcmpl-tool-<hex>`` ids)."""
    return {"id": id_, "type": "function", "function": {"name": name, "arguments": arguments}}


def chat_chunks(id_: str, created: int, model: str, content: str, finish_reason: str,
                usage_: JSON | None, tool_calls: list[JSON] | None = None) -> list[JSON]:
    """The stream of a chat completion: role first, a chunk per word (or one per tool call),
    finish, then usage if asked."""

    def chunk(delta: JSON, finish: str | None) -> JSON:
        return {"id": id_, "object": "chat.completion.chunk", "created": created, "model": model,
                "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}

    chunks = [chunk({"role": "assistant", "content": ""}, None)]
    chunks += [chunk({"tool_calls": [{"index": index, **call}]}, None) for index, call in enumerate(tool_calls or ())]
    chunks += [chunk({"content": piece}, None) for piece in words_with_spaces(content)]
    chunks.append(chunk({}, finish_reason))
    if usage_ is not None:  # OpenAI sends usage last, with no choices, only when asked
        chunks.append({"id": id_, "object": "chat.completion.chunk", "created": created,
                       "model": model, "choices": [], "usage": usage_})
    return chunks


def text_completion(id_: str, created: int, model: str, texts: list[tuple[str, str]],
                    usage_: JSON) -> JSON:
    """A legacy completion: one choice per prompt, each (text, finish_reason)."""
    return {
        "id": id_, "object": "text_completion", "created": created, "model": model,
        "choices": [{"index": i, "text": text, "logprobs": None, "finish_reason": finish, "stop_reason": None}
                    for i, (text, finish) in enumerate(texts)],
        "usage": usage_, "system_fingerprint": None,
    }


def text_chunks(id_: str, created: int, model: str, texts: list[tuple[str, str]],
                usage_: JSON | None) -> list[JSON]:
    def chunk(index: int, text: str, finish: str | None) -> JSON:
        return {"id": id_, "object": "text_completion", "created": created, "model": model,
                "choices": [{"index": index, "text": text, "logprobs": None, "finish_reason": finish}]}

    chunks = []
    for index, (text, finish) in enumerate(texts):
        chunks += [chunk(index, piece, None) for piece in words_with_spaces(text)]
        chunks.append(chunk(index, "", finish))
    if usage_ is not None:
        chunks.append({"id": id_, "object": "text_completion", "created": created, "model": model,
                       "choices": [], "usage": usage_})
    return chunks


def model_list(names: list[str], created: int) -> JSON:
    return {"object": "list", "data": [
        {"id": name, "object": "model", "created": created, "owned_by": "gatewise", "root": name, "parent": None}
        for name in names]}


def words_with_spaces(text: str) -> list[str]:
    """Split into streaming pieces that join back to exactly ``text``."""
    return re.findall(r"\S+\s*|\s+", text)
