"""A stand-in for the Slack Web API on 127.0.0.1: answers the methods the app calls and
records every call (method name, its JSON or form body, and the answer it got), so tests can
see what was posted and where (the `ts` of a posted message).

`failures` maps a method name to the Slack error it should answer with (`not_in_channel`);
`members` is who `conversations.members` lists, whatever the channel.
Any path that is not under `/api/` (a slash command's `response_url`) is recorded as well.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl

BOT_USER = "UBOT0001"


@dataclass(frozen=True)
class ApiCall:
    """One call as received: the method (`chat.postMessage`) or path, and its parsed body."""

    method: str
    body: dict[str, Any]
    result: dict[str, Any] = field(default_factory=dict)


@dataclass
class SlackStandIn:
    """Use as a context manager; it listens between enter and exit."""

    failures: dict[str, str] = field(default_factory=dict)
    members: list[str] = field(default_factory=list)  # of every channel, for conversations.members
    group_members: list[str] = field(default_factory=list)  # of every user group
    calls: list[ApiCall] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1), init=False)
    _server: ThreadingHTTPServer | None = field(default=None, init=False, repr=False)

    @property
    def base(self) -> str:
        if self._server is None:
            raise RuntimeError("the stand-in is not running: use it in a `with` block")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    def __enter__(self) -> SlackStandIn:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.stand_in = self  # type: ignore[attr-defined]
        server.daemon_threads = True
        self._server = server
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def named(self, method: str) -> list[ApiCall]:
        with self._lock:
            return [call for call in self.calls if call.method == method]

    def wait_for(self, method: str, count: int = 1, timeout_s: float = 60.0) -> list[ApiCall]:
        """The calls of `method` once there are `count` of them; AssertionError on timeout."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = self.named(method)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"no {count}× {method} within {timeout_s}s; got {self.calls}")

    def answer(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            ts = f"1700000000.{next(self._ts):06d}"
            result = self._result(method, body, ts)
            self.calls.append(ApiCall(method, body, result))
        return result

    def _result(self, method: str, body: dict[str, Any], ts: str) -> dict[str, Any]:
        if method in self.failures:
            return {"ok": False, "error": self.failures[method]}
        if method == "auth.test":
            return {"ok": True, "user_id": BOT_USER, "bot_id": "BBOT0001", "team_id": "T0001"}
        if method == "users.info":
            return {"ok": True, "user": {"id": body.get("user"), "name": "agent"}}
        if method == "conversations.members":
            return {"ok": True, "members": list(self.members), "response_metadata": {}}
        if method == "usergroups.users.list":
            return {"ok": True, "users": list(self.group_members)}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": ts}
        if method in ("chat.postMessage", "chat.update"):
            return {"ok": True, "channel": body.get("channel"), "ts": body.get("ts") or ts}
        if method == "views.open":
            return {"ok": True, "view": {"id": f"V{ts[-6:]}"}}
        return {"ok": True}


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("content-length") or 0)).decode("utf-8")
        if "json" in (self.headers.get("content-type") or ""):
            body = json.loads(raw or "{}")
        else:
            body = dict(parse_qsl(raw))
        method = self.path.split("?")[0].removeprefix("/api/").lstrip("/")
        reply = json.dumps(self.server.stand_in.answer(method, body)).encode()  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("content-type", "application/json; charset=utf-8")
        self.send_header("content-length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the calls are recorded instead."""
