"""A real `kb-assistant serve` in a child process on a free loopback port, for benchmarks
and end-to-end tests (browser, fuzzing): started in its data directory with a clean
environment, ready when `/ready` answers, stopped by its process id."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import httpx


class ServerProcess:
    """A real `kb-assistant serve` on a free loopback port, in a child process.

    Its environment is this one without any `KB_*` variable, plus `KB_DATA_DIR` and `env`;
    it runs in `data_dir` so that no developer's `.env` leaks in. Entering waits for
    `/ready`; leaving stops the process. The browser tests and the API fuzzing use it too.
    """

    def __init__(
        self, data_dir: Path, env: Mapping[str, str] | None = None, ready_timeout_s: float = 180
    ) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir.parent / f"server-{self.port}.log"
        self._env = dict(env or {})
        self._ready_timeout_s = ready_timeout_s
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def __enter__(self) -> ServerProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
        env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", ANONYMIZED_TELEMETRY="False")
        env.update(KB_DATA_DIR=str(self.data_dir), PYTHONUNBUFFERED="1", **self._env)
        command = [sys.executable, "-m", "kb_assistant", "serve", "--host", "127.0.0.1"]
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("wb")
        self._process = subprocess.Popen(
            [*command, "--port", str(self.port)],
            cwd=self.data_dir,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self._ready_timeout_s
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"the server exited at start-up:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/ready", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        raise RuntimeError(
            f"the server was not ready after {self._ready_timeout_s:.0f} s:\n{self.log_tail()}"
        )

    def stop(self) -> None:
        """Stop the server (politely, then not) and close its log."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._log is not None:
            self._log.close()

    def wait_exit(self, timeout_s: float = 60) -> int:
        """Wait for the server to end by itself; its exit status (negative: the signal)."""
        if self._process is None:
            raise RuntimeError("the server was never started")
        return self._process.wait(timeout=timeout_s)

    def kill(self) -> None:
        """End the server at once, as a crash would (SIGKILL: no clean-up of any kind)."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()

    def peak_rss_bytes(self) -> int:
        """The server's peak resident memory so far (Linux `VmHWM`); 0 where unknown."""
        if self._process is None:
            return 0
        status = Path(f"/proc/{self._process.pid}/status")
        for line in status.read_text().splitlines() if status.exists() else []:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        return 0

    def log_tail(self, chars: int = 4000) -> str:
        """The end of the server's output, for error messages."""
        if not self.log_path.exists():
            return ""
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]


def free_port() -> int:
    """A TCP port on loopback nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def served_in_thread(app: Any, start_timeout_s: float = 120) -> Iterator[str]:
    """An ASGI app served by uvicorn on a free loopback port in a daemon thread (its lifespan
    runs as in production); yields the base URL and stops the server on exit."""
    import uvicorn

    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=2
    )
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout_s
    while not running.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            running.should_exit = True
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        running.should_exit = True
        thread.join(timeout=10)
