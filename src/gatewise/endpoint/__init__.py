"""Clients for the model under test. ``OpenAIEndpoint`` speaks the OpenAI-compatible API."""

from ._cache import DEFAULT_CACHE_DIR, ResponseCache
from ._openai import OpenAIEndpoint
from ._url import public_url
from ._retry import RetryPolicy, parse_retry_after

__all__ = ["DEFAULT_CACHE_DIR", "OpenAIEndpoint", "ResponseCache", "RetryPolicy", "parse_retry_after", "public_url"]
