"""An OpenAI-compatible stand-in for a vLLM/KServe model server, with a deterministic answer
table and injectable faults, for tests, benchmarks and ``gatewise demo``."""

from ._answers import load_answer_table
from ._cli import main
from ._faults import Faults
from . import _judge_rag  # noqa: F401 - registers the judge's answers to deepeval's retrieval prompts
from ._server import StandinServer
from ._stats import Stats

__all__ = ["Faults", "StandinServer", "Stats", "load_answer_table", "main"]
