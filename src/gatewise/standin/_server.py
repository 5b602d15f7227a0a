"""``StandinServer``: the stand-in endpoint on its own event loop in a background thread."""

from __future__ import annotations

import asyncio
import threading
from types import TracebackType
from typing import Mapping, Sequence

from ._endpoint import Endpoint
from ._faults import Faults
from ._model import AnswerFormat
from ._stats import Stats

_STOP_TIMEOUT_S = 10.0


def root_url(host: str, port: int) -> str:
    """``http://host:port``, with a wildcard bind address replaced by loopback."""
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class StandinServer:
    """An OpenAI-compatible stand-in for a vLLM or KServe model server, for tests and demos.

    Use as a context manager, or call ``start()`` and ``stop()``. Blocking code (the sync
    ``openai`` client, a gate run) can call it from the same thread, since it serves from its own.
    """

    def __init__(self, answers: Mapping[str, str] | None = None, *, quality: float = 1.0,
                 faults: Faults = Faults(), model_id: str = "standin-model",
                 served_model_names: Sequence[str] | None = None, api_key: str | None = None,
                 answer_format: AnswerFormat = "text", seed: int = 0, noise: float = 0.0,
                 host: str = "127.0.0.1", port: int = 0) -> None:
        """``answers`` maps question -> reference answer (see ``load_answer_table``); ``quality``
        is the fraction of questions answered right, chosen by a hash of (question, ``seed``).
        ``noise`` > 0 makes answers vary from call to call around per-question difficulties shared
        by every stand-in (see ``StandinModel``); ``seed`` then seeds the per-call draws."""
        self._endpoint = Endpoint(answers, quality=quality, seed=seed, answer_format=answer_format,
                                  faults=faults, model_id=model_id, served_model_names=served_model_names,
                                  api_key=api_key, noise=noise)
        self._host, self._requested_port = host, port
        self._port: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> StandinServer:
        """Start serving; returns once the port is listening."""
        if self._thread is not None:
            raise RuntimeError("the stand-in server is already started")
        started = threading.Event()
        failure: list[BaseException] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, args=(started, failure), name="standin-server",
                                        daemon=True)
        self._thread.start()
        started.wait()
        if failure:
            self._thread.join()
            self._thread = None
            raise failure[0]
        return self

    def _run(self, started: threading.Event, failure: list[BaseException]) -> None:
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        try:
            self._port = loop.run_until_complete(self._endpoint.start(self._host, self._requested_port))
        except BaseException as exc:  # handed to start(), which raises it in the caller's thread
            failure.append(exc)
            loop.close()
            started.set()
            return
        started.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def stop(self) -> None:
        """Stop serving and drop every connection, hung ones included. Safe to call twice."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        self._thread = None
        if thread.is_alive():
            closing = asyncio.run_coroutine_threadsafe(self._endpoint.close(), loop)
            try:
                closing.result(timeout=_STOP_TIMEOUT_S)
            finally:
                loop.call_soon_threadsafe(loop.stop)
                thread.join(timeout=_STOP_TIMEOUT_S)

    def __enter__(self) -> StandinServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the stand-in server is not started")
        return self._port

    @property
    def root_url(self) -> str:
        """``http://127.0.0.1:PORT``, where ``/health`` lives."""
        return root_url(self._host, self.port)

    @property
    def base_url(self) -> str:
        """The OpenAI base URL, as vLLM serves it: ``http://127.0.0.1:PORT/v1``."""
        return self.root_url + "/v1"

    @property
    def kserve_base_url(self) -> str:
        """The OpenAI base URL as KServe serves it: ``http://127.0.0.1:PORT/openai/v1``."""
        return self.root_url + "/openai/v1"

    @property
    def faults(self) -> Faults:
        return self._endpoint.dice.faults

    def set_faults(self, faults: Faults) -> None:
        """Change the faults of a running server; requests read from now on use them."""
        self._endpoint.dice.set(faults)

    @property
    def stats(self) -> Stats:
        """A snapshot of the counters: requests, completions, responses by status, faults by kind."""
        return self._endpoint.stats.snapshot()
