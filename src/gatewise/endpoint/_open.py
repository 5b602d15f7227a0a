"""One way in for the runner: the endpoint client a config asks for, and its input checks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._cache import ResponseCache

if TYPE_CHECKING:
    from ..config import GateConfig
    from ..dataset import Dataset


def check_endpoint_inputs(config: "GateConfig", dataset: "Dataset") -> "GateConfig":
    """Check what the endpoint will be sent against the dataset, before any call.

    Returns the config with defaults that depend on the data filled in (a V2 endpoint's feature
    columns), so every later stage sees what was actually sent. Raises ``InputError``.
    """
    if config.endpoint.kind != "v2":
        return config  # the prompt template checks its own columns
    from ._features import encode_features

    encoding = encode_features(config, dataset)
    endpoint = config.endpoint.model_copy(update={"features": list(encoding.names)})
    return config.model_copy(update={"endpoint": endpoint})


def open_endpoint(config: "GateConfig", dataset: "Dataset", *, cache: ResponseCache | None = None,
                  settings: Any = None, cache_scope: str | None = None) -> Any:
    """The client for ``settings`` (default ``config.endpoint``; a baseline endpoint passes its own):
    ``preflight()``, ``sample(row_id, inputs, messages, repeat)``, ``aclose()``."""
    settings = settings if settings is not None else config.endpoint
    if settings.kind == "v2":
        from ._features import encode_features
        from ._v2 import V2Endpoint

        return V2Endpoint(settings, encode_features(config, dataset), cache=cache, cache_scope=cache_scope)
    from ._openai import OpenAIEndpoint

    return OpenAIEndpoint(settings, cache=cache, cache_scope=cache_scope)
