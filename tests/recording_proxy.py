"""A small reverse proxy on 127.0.0.1 that rewrites a path prefix and records each request body:
KServe's ``/openai/v1`` in front of a server's ``/v1``, or a look at what gatewise really sent."""

from __future__ import annotations

import http.server
import json
import threading
import urllib.error
import urllib.request


class RecordingProxy(http.server.ThreadingHTTPServer):
    """``front`` + path is forwarded to ``upstream`` (a root URL) + ``back`` + path; a context manager."""

    def __init__(self, upstream: str, *, front: str = "/v1", back: str = "/v1") -> None:
        self.upstream, self.front, self.back = upstream.rstrip("/"), front, back
        self.bodies: list[dict] = []
        self.raw: list[bytes] = []  # each JSON body's bytes as sent
        self._lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)
        self.base_url = f"http://127.0.0.1:{self.server_address[1]}{front}"

    def record(self, body: bytes) -> None:
        try:
            payload = json.loads(body)
        except ValueError:
            return
        with self._lock:
            self.bodies.append(payload)
            self.raw.append(body)

    def __enter__(self) -> "RecordingProxy":
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


class _Handler(http.server.BaseHTTPRequestHandler):
    server: RecordingProxy
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        self._forward(None)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        self.server.record(body)
        self._forward(body)

    def _forward(self, body: bytes | None) -> None:
        if not self.path.startswith(self.server.front + "/"):
            self._send(404, b'{"detail": "Not Found"}')
            return
        target = self.server.upstream + self.server.back + self.path.removeprefix(self.server.front)
        headers = {"content-type": self.headers.get("content-type", "application/json")}
        if self.headers.get("authorization"):
            headers["authorization"] = self.headers["authorization"]
        request = urllib.request.Request(target, data=body, method=self.command, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                self._send(response.status, response.read())
        except urllib.error.HTTPError as error:
            self._send(error.code, error.read())

    def _send(self, status: int, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
