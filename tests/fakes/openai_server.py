"""A scripted LLM server on 127.0.0.1 speaking the OpenAI chat-completions and Ollama chat APIs.

Lets the real llama-index adapters (`OpenAILike`, `Ollama`) and their HTTP clients run end to
end over loopback. Replies come from a script, in order, whichever API asks; every request
body is recorded. Streaming follows each API: server-sent events ending in `data: [DONE]`
for OpenAI, newline-delimited JSON for Ollama. Token usage is reported (words of the prompt,
pieces of the reply) unless turned off, and an `ErrorReply` answers an HTTP error instead.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from tests.fakes.llm import token_pieces

CREATED_AT = "2024-01-01T00:00:00Z"


@dataclass(frozen=True)
class ErrorReply:
    """Answer one request with an HTTP error.

    `retry_after_ms` asks OpenAI clients to retry after that many milliseconds (a header real
    servers send too), which keeps retries fast in tests.
    """

    status: int
    message: str = "the model failed"
    retry_after_ms: int | None = 5


Reply = str | ErrorReply


@dataclass(frozen=True)
class RecordedRequest:
    """One request the server received."""

    path: str
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class LlmServer:
    """The stand-in server; use it as a context manager (it listens between enter and exit)."""

    replies: list[Reply] = field(default_factory=list)
    report_usage: bool = True
    delay_s: float = 0.0  # wait this long before each answer (to try client timeouts)
    requests: list[RecordedRequest] = field(default_factory=list)
    usages: list[tuple[int, int]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _stopping: threading.Event = field(default_factory=threading.Event, init=False, repr=False)
    _server: ThreadingHTTPServer | None = field(default=None, init=False, repr=False)
    _thread: threading.Thread | None = field(default=None, init=False, repr=False)

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the server is not running: use it in a `with` block")
        return int(self._server.server_address[1])

    @property
    def openai_url(self) -> str:
        """The OpenAI-compatible base URL (what KB_LLM_API_BASE is set to)."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def ollama_url(self) -> str:
        """The Ollama base URL."""
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LlmServer:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.stand_in = self
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

    def next_reply(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> Reply:
        """Record the request and take the next scripted reply (after `delay_s`)."""
        self._stopping.wait(self.delay_s)
        with self._lock:
            self.requests.append(RecordedRequest(path, body, headers))
            if not self.replies:
                return ErrorReply(500, "no scripted reply left", retry_after_ms=None)
            return self.replies.pop(0)

    def usage_for(self, body: dict[str, Any], pieces: list[str]) -> tuple[int, int] | None:
        """(prompt words, reply pieces) when usage is reported; recorded in `usages`."""
        if not self.report_usage:
            return None
        messages = body.get("messages") or []
        prompt = sum(len(str(m.get("content", "")).split()) for m in messages)
        usage = (prompt, len(pieces))
        with self._lock:
            self.usages.append(usage)
        return usage


def unused_port() -> int:
    """A loopback port with nothing listening on it (for "cannot connect" cases)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    stand_in: LlmServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (a timeout test) is expected; anything else is reported."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read `requests` instead of a log."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        headers = {k.lower(): v for k, v in self.headers.items()}
        if self.path.rstrip("/") not in ("/v1/chat/completions", "/api/chat"):
            self._json(404, {"error": f"no route {self.path}"})
            return
        reply = self.server.stand_in.next_reply(self.path, body, headers)
        ollama = self.path.startswith("/api/")
        if isinstance(reply, ErrorReply):
            self._error(reply, ollama)
            return
        pieces = token_pieces(reply)
        usage = self.server.stand_in.usage_for(body, pieces)
        streaming = bool(body.get("stream"))
        if ollama and streaming:
            self._stream(_ollama_lines(body, pieces, usage), "application/x-ndjson")
        elif ollama:
            self._json(200, _ollama_message(body, reply, usage))
        elif streaming:
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            events = _openai_events(body, pieces, usage if include_usage else None)
            self._stream(events, "text/event-stream")
        else:
            self._json(200, _openai_completion(body, reply, usage))

    def _error(self, reply: ErrorReply, ollama: bool) -> None:
        if ollama:
            payload: dict[str, Any] = {"error": reply.message}
        else:
            payload = {"error": {"message": reply.message, "type": "server_error"}}
        extra = (
            {} if reply.retry_after_ms is None else {"retry-after-ms": str(reply.retry_after_ms)}
        )
        self._json(reply.status, payload, extra)

    def _json(
        self, status: int, payload: dict[str, Any], extra: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, lines: Iterator[str], content_type: str) -> None:
        """Write `lines` as they come, then close the connection (HTTP/1.0 framing)."""
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Connection", "close")
        self.end_headers()
        for line in lines:
            self.wfile.write(line.encode())
            self.wfile.flush()


def _usage_json(usage: tuple[int, int]) -> dict[str, int]:
    return {
        "prompt_tokens": usage[0],
        "completion_tokens": usage[1],
        "total_tokens": usage[0] + usage[1],
    }


def _openai_completion(
    body: dict[str, Any], text: str, usage: tuple[int, int] | None
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": "chatcmpl-standin",
        "object": "chat.completion",
        "created": 0,
        "model": body.get("model", ""),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
    }
    if usage is not None:
        payload["usage"] = _usage_json(usage)
    return payload


def _openai_chunk(body: dict[str, Any], delta: dict[str, str], finish: str | None) -> str:
    chunk = {
        "id": "chatcmpl-standin",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": body.get("model", ""),
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(chunk)}\n\n"


def _openai_events(
    body: dict[str, Any], pieces: Sequence[str], usage: tuple[int, int] | None
) -> Iterator[str]:
    yield _openai_chunk(body, {"role": "assistant", "content": ""}, None)
    for piece in pieces:
        yield _openai_chunk(body, {"content": piece}, None)
    yield _openai_chunk(body, {}, "stop")
    if usage is not None:
        final = {
            "id": "chatcmpl-standin",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": body.get("model", ""),
            "choices": [],
            "usage": _usage_json(usage),
        }
        yield f"data: {json.dumps(final)}\n\n"
    yield "data: [DONE]\n\n"


def _ollama_message(
    body: dict[str, Any], text: str, usage: tuple[int, int] | None, done: bool = True
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "model": body.get("model", ""),
        "created_at": CREATED_AT,
        "message": {"role": "assistant", "content": text},
        "done": done,
    }
    if done:
        payload["done_reason"] = "stop"
    if done and usage is not None:
        payload["prompt_eval_count"], payload["eval_count"] = usage
    return payload


def _ollama_lines(
    body: dict[str, Any], pieces: Sequence[str], usage: tuple[int, int] | None
) -> Iterator[str]:
    for piece in pieces:
        yield json.dumps(_ollama_message(body, piece, None, done=False)) + "\n"
    yield json.dumps(_ollama_message(body, "", usage)) + "\n"
