"""Operator accounts and console sessions on a real SQLite database, and the CLI that manages
the accounts."""

from __future__ import annotations

import io
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, select

from kb_assistant.cli import main
from kb_assistant.handoff.types import utcnow
from kb_assistant.operators import (
    ConsoleSessions,
    OperatorAccounts,
    OperatorExistsError,
    OperatorInputError,
    OperatorNotFoundError,
)
from kb_assistant.operators.accounts import OperatorRow
from kb_assistant.operators.sessions import SessionRow, token_hash
from kb_assistant.settings import Settings
from kb_assistant.storage.databases import databases_for

PASSWORD = "a passphrase of several words"


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return databases_for(Settings(data_dir=tmp_path)).main()


def test_a_password_is_stored_only_as_an_argon2id_hash(engine: Engine) -> None:
    accounts = OperatorAccounts(engine)
    accounts.add("lead", PASSWORD)
    with engine.connect() as connection:
        stored = connection.execute(select(OperatorRow.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert accounts.authenticate("lead", PASSWORD) is not None
    assert accounts.authenticate("lead", PASSWORD + " ") is None
    assert accounts.authenticate("nobody", PASSWORD) is None
    assert accounts.authenticate("", "") is None


def test_names_and_passwords_are_checked(engine: Engine) -> None:
    accounts = OperatorAccounts(engine)
    with pytest.raises(OperatorInputError, match="at least 12"):
        accounts.add("lead", "short")
    with pytest.raises(OperatorInputError, match="operator name"):
        accounts.add("<script>", PASSWORD)
    accounts.add("lead", PASSWORD)
    with pytest.raises(OperatorExistsError):
        accounts.add("lead", PASSWORD)
    with pytest.raises(OperatorNotFoundError):
        accounts.set_password("nobody", PASSWORD)


def test_a_weak_hash_is_replaced_at_the_next_sign_in(engine: Engine) -> None:
    weak = OperatorAccounts(engine, PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    weak.add("lead", PASSWORD)
    strong = OperatorAccounts(engine)
    assert strong.authenticate("lead", PASSWORD) is not None
    with engine.connect() as connection:
        stored = connection.execute(select(OperatorRow.password_hash)).scalar_one()
    assert "m=8," not in stored and not PasswordHasher().check_needs_rehash(stored)


def test_sessions_end_when_idle_expired_signed_out_or_disabled(engine: Engine) -> None:
    accounts = OperatorAccounts(engine)
    accounts.add("lead", PASSWORD)
    sessions = ConsoleSessions(engine, idle=timedelta(minutes=30), lifetime=timedelta(hours=8))
    first = sessions.begin("lead")
    found = sessions.find(first.token)
    assert found is not None and found.operator == "lead" and len(found.csrf) >= 40
    with engine.connect() as connection:
        stored = connection.execute(select(SessionRow.token_hash)).scalar_one()
    assert stored == token_hash(first.token) and first.token not in stored
    assert sessions.find(first.token + "x") is None and sessions.find("") is None

    with engine.begin() as connection:  # idle for an hour
        connection.execute(
            SessionRow.__table__.update().values(last_seen=utcnow() - timedelta(hours=1))
        )
    assert sessions.find(first.token) is None

    second = sessions.begin("lead")
    sessions.end(second.token)
    assert sessions.find(second.token) is None

    third = sessions.begin("lead")
    accounts.set_disabled("lead", True)
    assert sessions.find(third.token) is None

    accounts.set_disabled("lead", False)
    short = ConsoleSessions(engine, idle=timedelta(hours=1), lifetime=timedelta(seconds=-1))
    assert short.find(short.begin("lead").token) is None  # past its lifetime


def test_the_cli_adds_lists_disables_and_resets_operators(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ["--data-dir", str(tmp_path)]
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["operators", "add", "lead", "--password-stdin", *data]) == 0
    assert "operator lead added" in capsys.readouterr().out
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    assert main(["operators", "add", "sam", "--password-stdin", *data]) == 2
    assert "at least 12" in capsys.readouterr().err
    assert main(["operators", "list", *data, "--json"]) == 0
    assert '"name": "lead"' in capsys.readouterr().out
    assert main(["operators", "disable", "lead", *data]) == 0
    assert "disabled" in capsys.readouterr().out
    engine = databases_for(Settings(data_dir=tmp_path)).main()
    assert OperatorAccounts(engine).authenticate("lead", PASSWORD) is None
    monkeypatch.setattr(sys, "stdin", io.StringIO("another long passphrase\n"))
    assert main(["operators", "passwd", "lead", "--password-stdin", *data]) == 0
    assert main(["operators", "enable", "lead", *data]) == 0
    assert OperatorAccounts(engine).authenticate("lead", "another long passphrase") is not None
    assert main(["operators", "disable", "nobody", *data]) != 0
