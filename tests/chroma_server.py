"""A real Chroma server (`chroma run`) on a free loopback port, for server-mode tests.

`ChromaServer` starts `.venv/bin/chroma run` as a child process with its own data directory,
waits until its heartbeat answers and stops it on exit. Test modules import the
session-scoped `chroma_server` fixture from here:

    from tests.chroma_server import ChromaServer, chroma_server  # noqa: F401
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import pytest

from eval.server import free_port

CHROMA_COMMAND = Path(sys.executable).with_name("chroma")
HEARTBEAT_PATH = "/api/v2/heartbeat"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class ChromaServerError(RuntimeError):
    """The Chroma server did not start or stopped answering."""


def server_environment() -> dict[str, str]:
    """The parent's environment without Chroma or OpenTelemetry overrides, telemetry off."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("CHROMA_", "OTEL_")) and name.upper() != "ANONYMIZED_TELEMETRY"
    }
    env["ANONYMIZED_TELEMETRY"] = "False"
    env["NO_COLOR"] = "1"
    return env


class ChromaServer:
    """A `chroma run` child process serving `data_path` at `url` (loopback only)."""

    def __init__(
        self, data_path: Path | None = None, *, port: int | None = None, timeout_s: float = 30.0
    ) -> None:
        self._workdir: tempfile.TemporaryDirectory[str] | None = None
        if data_path is None:
            self._workdir = tempfile.TemporaryDirectory(prefix="chroma-server-")
            data_path = Path(self._workdir.name) / "data"
        self.data_path = data_path
        self.log_path = data_path.parent / f"{data_path.name}-server.log"
        self.port = port or free_port()
        self.timeout_s = timeout_s
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self) -> ChromaServer:
        """Starts the server and returns once its heartbeat answers."""
        self.data_path.mkdir(parents=True, exist_ok=True)
        command = [str(CHROMA_COMMAND), "run", "--path", str(self.data_path)]
        command += ["--host", "127.0.0.1", "--port", str(self.port)]
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=server_environment(),
                cwd=self.data_path.parent,
                start_new_session=True,
            )
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, grace_s: float = 10.0) -> None:
        """Terminates the server, killing it if it has not exited within `grace_s`."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=grace_s)
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None

    def heartbeat(self, timeout_s: float = 1.0) -> bool:
        """Whether the server answers its heartbeat now."""
        try:
            with urllib.request.urlopen(self.url + HEARTBEAT_PATH, timeout=timeout_s) as reply:
                return bool(reply.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def log_tail(self, lines: int = 30) -> str:
        """The last lines the server wrote, without terminal colours."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(_ANSI.sub("", text).splitlines()[-lines:])

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise ChromaServerError(
                    f"chroma run exited with status {self._process.returncode} before it "
                    f"answered at {self.url}:\n{self.log_tail()}"
                )
            if self.heartbeat():
                return
            time.sleep(0.1)
        raise ChromaServerError(
            f"chroma run did not answer at {self.url} within {self.timeout_s:.0f} s:\n"
            f"{self.log_tail()}"
        )

    def __enter__(self) -> ChromaServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    """One Chroma server for the test session; tests keep apart by collection prefix."""
    with ChromaServer(tmp_path_factory.mktemp("chroma-server") / "data") as server:
        yield server
