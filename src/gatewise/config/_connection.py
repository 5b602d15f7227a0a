"""How gatewise reaches a server: the connection settings every endpoint kind shares (URL, key,
requests in flight, timeout, retries)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, SecretStr, field_validator

from ._strict import StrictModel


class ConnectionConfig(StrictModel):
    """Where a server is and how hard to try it; each endpoint kind adds what it sends."""

    base_url: str = Field(min_length=1)
    api_key: SecretStr | None = None
    concurrency: int = Field(16, ge=1, le=1024)
    timeout_s: float = Field(60.0, gt=0)
    max_retries: int = Field(4, ge=0, le=20)
    backoff_s: float = Field(0.5, gt=0, description="base of the exponential backoff")
    max_backoff_s: float = Field(20.0, gt=0)

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("api_key", mode="before")
    @classmethod
    def _empty_key_is_none(cls, value: Any) -> Any:
        # ${KEY:-} interpolates to "": no key, rather than an empty Bearer token
        return None if value in ("", None) else value
