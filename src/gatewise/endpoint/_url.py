"""Endpoint URLs as they may be shown: never with credentials."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def public_url(url: str) -> str:
    """The URL without user:password@ and without a query string, either of which may hold a key."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def split_credentials(url: str) -> tuple[str, str | None]:
    """The URL without ``user:password@``, and those as a Basic ``Authorization`` value (None when
    absent). httpx sent URL credentials as Basic auth; aiohttp refuses them beside an explicit
    ``Authorization`` header, so they are taken out and sent as httpx sent them."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, None
    import base64
    from urllib.parse import unquote

    pair = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}"
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port:
        host = f"{host}:{parts.port}"
    return (urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment)),
            "Basic " + base64.b64encode(pair.encode()).decode())
