"""Shared fixtures: no network, isolated settings, the shared evaluation datasets."""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kb_assistant.embedding import SentenceTransformerEmbedder
from kb_assistant.settings import Settings, bundled_model_path
from kb_assistant.storage.processes import ProcessId, this_process

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

REPO_ROOT = Path(__file__).resolve().parents[1]
DEMO_KB = REPO_ROOT / "demo" / "kb"


def dead_process() -> ProcessId:
    """A process of this machine that has ended (its pid is free again), as a holder of work
    that its successors must take over."""
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return ProcessId(this_process().host, int(child.stdout), "1")


class NetworkAccessError(AssertionError):
    """A test tried to reach something other than loopback."""


def _is_loopback(address: object) -> bool:
    if isinstance(address, str | bytes):
        return True  # AF_UNIX socket path
    if not isinstance(address, tuple) or not address:
        return False
    host = str(address[0])
    if host == "localhost":
        return True
    try:  # an IP literal; any other host name would need a DNS lookup beyond loopback
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test that opens a connection beyond loopback."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guarded_connect(self: socket.socket, address: object) -> None:
        if not _is_loopback(address):
            raise NetworkAccessError(f"network access attempted: {address!r}")
        real_connect(self, address)  # type: ignore[arg-type]

    def guarded_connect_ex(self: socket.socket, address: object) -> int:
        if not _is_loopback(address):
            raise NetworkAccessError(f"network access attempted: {address!r}")
        return real_connect_ex(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """No KB_* variables from the developer's shell, and a private working directory."""
    for name in list(os.environ):
        if name.startswith("KB_") and name != "KB_EVAL_DATA":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    yield tmp_path


@pytest.fixture(scope="session")
def eval_data() -> Path:
    """The shared evaluation datasets (`KB_EVAL_DATA`, default ../shared/data); skip if absent."""
    root = Path(os.environ.get("KB_EVAL_DATA", REPO_ROOT.parent / "shared" / "data"))
    if not root.is_dir():
        pytest.skip(f"shared evaluation data not found at {root} (set KB_EVAL_DATA)")
    return root


@pytest.fixture
def settings(clean_env: Path) -> Settings:
    """Settings with everything stored under the test's temporary directory."""
    return Settings(data_dir=clean_env / "data")


@pytest.fixture(scope="session")
def real_embedder() -> SentenceTransformerEmbedder:
    """The real default model (small enough to load once per test session)."""
    embedder = SentenceTransformerEmbedder(bundled_model_path())
    embedder.warm_up()
    return embedder


@pytest.fixture(scope="session")
def demo_settings(
    tmp_path_factory: pytest.TempPathFactory, real_embedder: SentenceTransformerEmbedder
) -> Settings:
    """Settings over a private data directory holding the demo knowledge base (indexed once
    per test session; tests must not change the index)."""
    from kb_assistant.composition import build_ingest_pipeline

    root = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("KB_") and name != "KB_EVAL_DATA":
                patch.delenv(name)
        patch.chdir(root)
        settings = Settings(data_dir=root / "data")
    pipeline = build_ingest_pipeline(settings, embedder=real_embedder)
    pipeline.run([DEMO_KB / "faq", DEMO_KB / "manuals"], visibility="public")
    pipeline.run([DEMO_KB / "tickets"], visibility="internal")
    return settings


@pytest.fixture
def own_demo_settings(demo_settings: Settings, tmp_path: Path) -> Settings:
    """Settings over a private copy of the indexed demo knowledge base, for tests that change
    the index."""
    data_dir = tmp_path / "own-demo"
    shutil.copytree(demo_settings.data_dir, data_dir)
    return demo_settings.model_copy(update={"data_dir": data_dir, "database_url": ""})


@pytest.fixture(scope="session")
def trained_policy(demo_settings: Settings, real_embedder: SentenceTransformerEmbedder) -> Path:
    """The policy model trained once per session (in the demo data directory); copy it into
    a fresh data directory's `policy` folder to skip training there."""
    from kb_assistant.composition import build_policy_engine
    from kb_assistant.policy import policy_cache_dir

    build_policy_engine(demo_settings, real_embedder, audit=False)
    return policy_cache_dir(demo_settings)
