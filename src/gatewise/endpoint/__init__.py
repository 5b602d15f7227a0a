"""Clients for the model under test: ``OpenAIEndpoint`` speaks the OpenAI-compatible API,
``V2Endpoint`` the Open Inference Protocol (KServe V2); ``open_endpoint`` picks by ``endpoint.kind``."""

from ._cache import DEFAULT_CACHE_DIR, ResponseCache
from ._concurrency import AdaptiveConcurrency, ConcurrencyStats
from ._features import FeatureEncoding, default_features, encode_features
from ._open import check_endpoint_inputs, open_endpoint
from ._openai import OpenAIEndpoint
from ._url import public_url
from ._retry import RetryPolicy, parse_retry_after
from ._v2 import V2Endpoint, read_predictions

__all__ = [
    "AdaptiveConcurrency", "ConcurrencyStats", "DEFAULT_CACHE_DIR", "FeatureEncoding", "OpenAIEndpoint", "ResponseCache", "RetryPolicy", "V2Endpoint",
    "check_endpoint_inputs", "default_features", "encode_features", "open_endpoint", "parse_retry_after",
    "public_url", "read_predictions",
]
