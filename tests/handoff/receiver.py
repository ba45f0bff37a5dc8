"""A helpdesk stand-in on 127.0.0.1 that receives handoff webhooks.

Answers each POST with the next scripted status (200 once the script is used up), after
`delay_s`, and records the raw body and headers of every request it received.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


@dataclass(frozen=True)
class Delivery:
    """One request as received: path, headers (lower-cased names) and the raw body."""

    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Use as a context manager; it listens between enter and exit."""

    statuses: list[int] = field(default_factory=list)
    delay_s: float = 0.0
    deliveries: list[Delivery] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _stopping: threading.Event = field(default_factory=threading.Event, init=False, repr=False)
    _server: ThreadingHTTPServer | None = field(default=None, init=False, repr=False)
    _thread: threading.Thread | None = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the receiver is not running: use it in a `with` block")
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks/handoff?token=s3cret"

    def __enter__(self) -> Receiver:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.receiver = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def receive(self, delivery: Delivery) -> int:
        """Record a request and take the next scripted status (after `delay_s`)."""
        self._stopping.wait(self.delay_s)
        with self._lock:
            self.deliveries.append(delivery)
            return self.statuses.pop(0) if self.statuses else 200


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    receiver: Receiver

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (a timeout test) is expected."""


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read `deliveries` instead of a log."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {name.lower(): value for name, value in self.headers.items()}
        status = self.server.receiver.receive(Delivery(self.path, headers, body))
        reply = b'{"ok": true}' if status < 300 else b'{"error": "receiver says no"}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)
