"""A predictive model over the Open Inference Protocol (KServe V2): ``POST /v2/models/{model}/infer``.

Callers ask for one row at a time, as they do of the OpenAI endpoint; rows asked for in the same
turn of the event loop are sent together, ``batch_size`` to a request, with at most
``concurrency`` requests in flight. A batch is retried as a whole under the same rules as any
call (``Retry-After`` honoured); one that still fails makes each of its rows an error, never a
prediction.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Mapping

from ..config import V2EndpointConfig
from ..errors import EndpointUnreachableError
from ..samples import Message, Sample
from ._cache import ResponseCache, request_key
from ._concurrency import ConcurrencyStats
from ._features import FeatureEncoding
from ._retry import RETRYABLE_STATUSES, Attempts, CallFailed, GaveUp, RetryPolicy, parse_retry_after
from ._url import public_url

ERROR_CHARS = 300
# immediate re-sends of a request whose pooled connection the server had closed; not attempts
STALE_CONNECTION_RESENDS = 2


@dataclass(frozen=True)
class _Pending:
    row_id: str
    inputs: Mapping[str, Any]
    features: tuple[Any, ...]
    repeat: int
    key: str | None
    answer: "asyncio.Future[Sample]"


class V2Endpoint:
    def __init__(self, config: V2EndpointConfig, encoding: FeatureEncoding, *,
                 cache: ResponseCache | None = None, seed: int | None = None, cache_scope: str | None = None) -> None:
        self.config = config
        self.cache_scope = cache_scope  # a baseline's answers are cached apart from the model's
        self.encoding = encoding
        self.cache = cache
        self.policy = RetryPolicy(config.max_retries, config.backoff_s, config.max_backoff_s)
        self._attempts = Attempts(self.policy, config.concurrency, seed)
        self._secret = config.api_key.get_secret_value() if config.api_key else None
        self._client: Any = None
        self._queue: list[_Pending] = []
        self._flush_scheduled = False
        self._batches: set[asyncio.Task] = set()

    @property
    def identity(self) -> dict[str, Any]:
        """What makes two endpoints answer differently; the cache key includes it (not the key)."""
        identity = {"kind": "v2", "base_url": self.config.base_url, "model": self.config.model,
                    "features": list(self.encoding.names), "layout": self.encoding.layout, "output": self.config.output}
        # a baseline's answers are its own, even from the same URL and model (an A/A run)
        return {**identity, "scope": self.cache_scope} if self.cache_scope else identity

    def _http(self) -> Any:
        if self._client is None:
            import httpx

            headers = {"Authorization": f"Bearer {self._secret}"} if self._secret else {}
            self._client = httpx.AsyncClient(
                base_url=self.config.base_url, headers=headers, timeout=self.config.timeout_s,
                limits=httpx.Limits(max_connections=self.config.concurrency))
        return self._client

    @property
    def concurrency(self) -> ConcurrencyStats:
        """The concurrency the batches actually had (cut back on 429 / 503, regrown after)."""
        return self._attempts.concurrency

    async def aclose(self) -> None:
        if self._batches:
            await asyncio.gather(*self._batches, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()

    def redact(self, text: str) -> str:
        return text.replace(self._secret, "***") if self._secret else text

    # -- preflight ---------------------------------------------------------------------------

    async def preflight(self) -> tuple[str, ...]:
        """Server ready, then model ready; otherwise ``EndpointUnreachableError`` before row 1."""
        model_path = f"/v2/models/{self.config.model}/ready"
        for path in ("/v2/health/ready", model_path):
            await self._ready(path, what="the model" if path == model_path else "the server")
        return (self.config.model,)

    async def _ready(self, path: str, *, what: str) -> None:
        where = f"{public_url(self.config.base_url)}{path}"
        last = ""
        tries = self._attempts.preflight_tries
        for attempt in range(1, tries + 1):
            try:
                response = await self._http().get(path)
            except Exception as exc:  # noqa: BLE001 - every failure here means "not reachable yet"
                failure = self._classify_transport(exc)
            else:
                if response.status_code == 200 and _ready_flag(response) is not False:
                    return
                if response.status_code in (401, 403):
                    raise EndpointUnreachableError(
                        f"the endpoint at {public_url(self.config.base_url)} refused the API key "
                        f"(HTTP {response.status_code}); check endpoint.api_key")
                if response.status_code == 404 and what == "the model":
                    raise EndpointUnreachableError(
                        f"model {self.config.model!r} is not served at {public_url(self.config.base_url)} "
                        f"(HTTP 404: {self.redact(_error_text(response))})")
                failure = CallFailed(
                    f"{what} is not ready (HTTP {response.status_code}: {self.redact(_error_text(response))})",
                    retryable=response.status_code in RETRYABLE_STATUSES or response.status_code == 200,
                    retry_after=parse_retry_after(response.headers.get("retry-after")))
            last = str(failure)
            if not failure.retryable or attempt == tries:
                break
            await self._attempts.backoff(attempt, failure)
        raise EndpointUnreachableError(f"cannot reach the model endpoint at {where}: {self.redact(last)}")

    # -- rows --------------------------------------------------------------------------------

    async def sample(self, row_id: str, inputs: dict[str, Any], messages: tuple[Message, ...] = (),
                     repeat: int = 0) -> Sample:
        """The model's prediction for one row; ``messages`` is unused (a V2 model takes features)."""
        features = self.encoding.values(inputs)
        key = None
        if self.cache is not None:
            key = request_key(self.identity, {"features": list(features)}, repeat)
            hit = self.cache.sample(key, row_id=row_id, inputs=inputs, messages=(), repeat=repeat)
            if hit is not None:
                return hit
        answer: asyncio.Future[Sample] = asyncio.get_running_loop().create_future()
        self._queue.append(_Pending(row_id, inputs, features, repeat, key, answer))
        if len(self._queue) >= self.config.batch_size:
            self._flush()
        elif not self._flush_scheduled:
            # rows asked for in this turn of the loop (a gather over the dataset) join one batch
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)
        return await answer

    def _flush(self) -> None:
        self._flush_scheduled = False
        while self._queue:
            batch, self._queue = self._queue[:self.config.batch_size], self._queue[self.config.batch_size:]
            task = asyncio.ensure_future(self._send(batch))
            self._batches.add(task)
            task.add_done_callback(self._batches.discard)

    async def _send(self, batch: list[_Pending]) -> None:
        try:
            samples = await self._predict(batch)
        except Exception as exc:  # noqa: BLE001 - a bug here must still answer every row, as errors
            samples = [self._failed(p, f"{type(exc).__name__}: {exc}", 1) for p in batch]
        for pending, sample in zip(batch, samples):
            if not pending.answer.done():
                pending.answer.set_result(sample)

    async def _predict(self, batch: list[_Pending]) -> list[Sample]:
        body = self.encoding.request([p.features for p in batch])
        try:
            payload, predictions, latency_ms, attempts = await self._attempts.run(
                lambda: self._call(body), lambda payload: read_predictions(payload, len(batch), self.config.output))
        except GaveUp as gave_up:
            return [self._failed(p, str(gave_up.failure), gave_up.attempts) for p in batch]
        model_id = payload.get("model_name") if isinstance(payload.get("model_name"), str) else None
        samples = []
        for pending, prediction in zip(batch, predictions):
            if prediction is None:
                samples.append(self._failed(pending, "the response has no prediction for this row", attempts))
                continue
            record = {"output": _text(prediction), "prediction": prediction, "model_id": model_id,
                      "latency_ms": latency_ms}
            if self.cache is not None and pending.key is not None:
                self.cache.put(pending.key, record)
            samples.append(Sample(row_id=pending.row_id, inputs=pending.inputs, messages=(), repeat=pending.repeat,
                                  attempts=attempts, **record))
        return samples

    def _failed(self, pending: _Pending, reason: str, attempts: int) -> Sample:
        plural = "s" if attempts > 1 else ""
        return Sample(row_id=pending.row_id, inputs=pending.inputs, messages=(), repeat=pending.repeat,
                      output=None, attempts=attempts,
                      error=self.redact(f"{reason} (batch of rows; after {attempts} attempt{plural})"))

    async def _call(self, body: dict[str, Any]) -> dict[str, Any]:
        import httpx

        path = f"/v2/models/{self.config.model}/infer"
        for resend in range(STALE_CONNECTION_RESENDS + 1):
            try:
                response = await self._http().post(path, json=body)
                break
            except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError) as exc:
                # KServe (uvicorn) closes a connection after a 500; a request that went out on it
                # meanwhile fails without an answer. Sent again on a fresh connection, it gets one.
                if resend == STALE_CONNECTION_RESENDS:
                    raise self._classify_transport(exc) from None
            except Exception as exc:  # noqa: BLE001 - mapped to retryable / final below
                raise self._classify_transport(exc) from None
        if response.status_code != 200:
            raise CallFailed(f"HTTP {response.status_code}: {_error_text(response)}",
                             retryable=response.status_code in RETRYABLE_STATUSES,
                             retry_after=parse_retry_after(response.headers.get("retry-after")),
                             status=response.status_code)
        try:
            payload = response.json()
        except ValueError:
            raise CallFailed("malformed response: body is not valid JSON", retryable=True) from None
        if not isinstance(payload, dict):
            raise CallFailed("malformed response: the body is not a JSON object", retryable=True)
        return payload

    def _classify_transport(self, exc: Exception) -> CallFailed:
        import httpx

        if isinstance(exc, httpx.TimeoutException):
            return CallFailed(f"timed out after {self.config.timeout_s:g} s", retryable=True, unreachable=True)
        if isinstance(exc, httpx.TransportError):
            return CallFailed(f"connection error: {type(exc).__name__}", retryable=True, unreachable=True)
        return CallFailed(f"{type(exc).__name__}: {exc}", retryable=False)


def read_predictions(payload: Mapping[str, Any], rows: int, output: str | None) -> list[Any]:
    """One prediction per row from a V2 response (``None`` where the model gave a null)."""
    outputs = payload.get("outputs")
    if not isinstance(outputs, list) or not outputs or not all(isinstance(o, dict) for o in outputs):
        raise CallFailed("malformed response: no outputs tensors in the body", retryable=False)
    if output is None:
        tensor = outputs[0]
    else:
        tensor = next((o for o in outputs if o.get("name") == output), None)
        if tensor is None:
            names = ", ".join(str(o.get("name")) for o in outputs)
            raise CallFailed(f"the response has no output tensor {output!r} (outputs: {names}); "
                             "check endpoint.output", retryable=False)
    data, shape = tensor.get("data"), tensor.get("shape")
    if not isinstance(data, list) or not isinstance(shape, list) or not all(isinstance(d, int) for d in shape):
        raise CallFailed("malformed response: the output tensor lacks data or shape", retryable=False)
    per_row = 1
    for size in shape[1:]:
        per_row *= size
    if not shape or shape[0] != rows or len(data) != rows or per_row != 1:
        raise CallFailed(f"malformed response: {rows} rows were sent, but output {tensor.get('name')!r} has "
                         f"shape {shape} with {len(data)} values (expected one prediction per row)", retryable=False)
    return [_typed(value, tensor.get("datatype")) for value in data]


def _typed(value: Any, datatype: Any) -> Any:
    if value is None:
        return None
    if datatype == "BOOL" or isinstance(value, bool):
        return bool(value)
    if isinstance(datatype, str) and datatype.startswith(("INT", "UINT")) and isinstance(value, (int, float)):
        return int(value)
    if isinstance(datatype, str) and datatype.startswith("FP") and isinstance(value, (int, float)):
        return float(value)
    return value if isinstance(value, (int, float, str)) else str(value)


def _text(prediction: Any) -> str:
    return repr(prediction) if isinstance(prediction, float) else str(prediction)


def _ready_flag(response: Any) -> bool | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("ready") if isinstance(body, dict) and isinstance(body.get("ready"), bool) else None


def _error_text(response: Any) -> str:
    """The message of a V2 error body (``{"error": "..."}``), or the reason phrase."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("error"):
        return str(body["error"])[:ERROR_CHARS]
    text = (response.text or "").strip()
    return text[:ERROR_CHARS] if text else response.reason_phrase
