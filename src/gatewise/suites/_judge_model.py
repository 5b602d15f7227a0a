"""The judge as deepeval sees it: a ``DeepEvalBaseLLM`` whose calls go through ``JudgeClient``.

deepeval asks for JSON matching a pydantic schema (``a_generate(prompt, schema=...)``); the
schema goes to the judge as ``response_format`` (unless ``judge.structured_output`` is off), and
the JSON is read out of the answer (``_judge_reply``), since a judge without it answers text. An
answer that holds no such JSON raises ``JudgeOutputError``: the row becomes an error, never a
score. Imported lazily: it imports deepeval.
"""

from __future__ import annotations

from typing import Any

from deepeval.models import DeepEvalBaseLLM

from ._judge_client import JudgeClient
from ._judge_reply import ask_judge


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
        return await ask_judge(self._client, prompt, schema)
