"""Whose word on the client's address counts: `X-Forwarded-For` only from the proxies in
KB_TRUSTED_PROXIES, so that no client can name its own address and slip past the rate limit
per address. Through a real `kb-assistant serve` (its uvicorn does the reading)."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from eval.server import ServerProcess
from kb_assistant.cli.serve import proxy_options
from kb_assistant.settings import Settings

READY_TIMEOUT_S = 600.0  # the model and indexes load slowly on a busy machine


def served_data(demo_settings: Settings, tmp_path: Path) -> Path:
    """A private copy of the demo data directory (index and trained policy)."""
    data_dir = tmp_path / "data"
    shutil.copytree(demo_settings.data_dir, data_dir)
    return data_dir


def create(url: str, forwarded_for: str | None = None) -> int:
    """Status of a conversation created from loopback, as `forwarded_for` if given."""
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    response = httpx.post(f"{url}/api/v1/conversations", json={}, headers=headers, timeout=60)
    return response.status_code


@pytest.mark.parametrize(
    ("trusted", "honoured"), [("", False), ("127.0.0.1", True)], ids=["default", "trusted"]
)
def test_x_forwarded_for_counts_only_from_a_trusted_proxy(
    demo_settings: Settings, trained_policy: Path, tmp_path: Path, trusted: str, honoured: bool
) -> None:
    env = {"KB_RATE_LIMIT_CLIENT": "2/60", "KB_TRUSTED_PROXIES": trusted}
    with ServerProcess(
        served_data(demo_settings, tmp_path), env, ready_timeout_s=READY_TIMEOUT_S
    ) as server:
        assert [create(server.url), create(server.url)] == [201, 201]

        forwarded = create(server.url, forwarded_for="1.2.3.4")
        again = create(server.url)

    assert forwarded == (201 if honoured else 429)  # another client, or loopback in disguise
    assert again == 429  # loopback itself stays limited either way


def test_serve_trusts_no_proxy_headers_by_default(clean_env: Path) -> None:
    assert proxy_options(Settings()) == {"proxy_headers": False}


def test_serve_passes_the_trusted_proxies_to_uvicorn(clean_env: Path) -> None:
    settings = Settings(trusted_proxies="10.0.0.0/8, 127.0.0.1")

    assert proxy_options(settings) == {
        "proxy_headers": True,
        "forwarded_allow_ips": ["10.0.0.0/8", "127.0.0.1"],
    }


def test_a_trusted_proxy_must_be_an_address_or_network(clean_env: Path) -> None:
    with pytest.raises(ValidationError, match=r"KB_TRUSTED_PROXIES: 'proxy\.internal'"):
        Settings(trusted_proxies="10.0.0.1,proxy.internal")
