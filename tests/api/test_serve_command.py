"""`kb-assistant serve`: its help and its refusal of a port that is taken."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from kb_assistant.cli import main


def test_serve_refuses_a_port_in_use_before_loading_anything(
    clean_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        code = main(["serve", "--host", "127.0.0.1", "--port", str(port)])

    err = capsys.readouterr().err
    assert code == 2
    assert f"port {port} on 127.0.0.1 is already in use" in err and "--port" in err
    assert not (clean_env / ".kb-data").exists()  # nothing was built


def test_serve_refuses_an_invalid_rate_limit_setting(
    clean_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KB_RATE_LIMIT_CLIENT", "sixty a minute")

    code = main(["serve", "--port", "1"])

    assert code == 2
    assert "KB_RATE_LIMIT_CLIENT must look like N/SECONDS" in capsys.readouterr().err


def test_serve_help_names_what_it_serves(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    out = capsys.readouterr().out
    for option in ("--host", "--port", "--data-dir", "/widget.js", "KB_ADMIN_API_KEY"):
        assert option in out
