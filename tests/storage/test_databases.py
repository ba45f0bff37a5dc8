"""The owner of the databases: one engine per URL, new databases made at head, the `db`
commands, and several processes upgrading one database at the same moment."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from kb_assistant.cli import main
from kb_assistant.composition import build_conversation_store
from kb_assistant.settings import Settings
from kb_assistant.storage import migrate
from kb_assistant.storage.databases import Databases, databases_for, redacted
from kb_assistant.storage.db import make_engine
from kb_assistant.storage.manifest import ManifestStore
from kb_assistant.storage.migrate import SCHEMAS, Schema
from tests.conftest import REPO_ROOT
from tests.storage import release
from tests.storage.conftest import UrlFor

PROCESSES = 4


def test_a_new_database_is_made_at_head(
    url_for: UrlFor, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    main_url, index_url, manifest_url = url_for("kb"), url_for("registry"), url_for("manifest")
    databases = Databases(main_url, index_url, tmp_path)
    with caplog.at_level("INFO", logger="kb_assistant.storage.databases"):
        engines = [databases.main(), databases.index_registry(), databases.manifest(manifest_url)]
    for engine, schema in zip(engines, SCHEMAS, strict=True):
        [state] = migrate.states(engine, [schema])
        assert state.current == migrate.head(schema) and not state.pending
        assert f"{schema} schema created at {migrate.head(schema)}" in caplog.text
    assert f"database {redacted(main_url)}: main schema created at" in caplog.text


def test_each_database_has_one_engine_in_a_process(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    databases = databases_for(settings)
    assert databases_for(settings) is databases
    assert databases.main() is databases.main()
    assert databases.manifest(settings.resolved_database_url) is databases.main()
    assert build_conversation_store(settings).engine is databases.main()
    assert databases_for(Settings(data_dir=tmp_path)) is not databases  # another process's


def test_passwords_stay_out_of_reports() -> None:
    shown = redacted("postgresql+psycopg://kb:s3cret@db.internal:5432/kb")
    assert "s3cret" not in shown and "db.internal" in shown


def test_a_main_database_from_before_index_versions_keeps_its_manifest(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kb.sqlite3'}"
    old = make_engine(url)
    release.make_release_database(old, "main")
    release.make_release_database(old, "manifest")
    old.dispose()
    databases = Databases(url, f"sqlite:///{tmp_path / 'registry.sqlite3'}", tmp_path)
    engine = databases.main()
    assert {s.schema: s.current for s in migrate.states(engine, SCHEMAS)} == {
        "main": migrate.head("main"),
        "registry": None,
        "manifest": migrate.head("manifest"),
    }
    assert databases.manifest(url) is engine
    assert len(ManifestStore(engine).documents([release.DOC])[release.DOC].chunks) == 2


def test_db_current_reports_pending_and_db_upgrade_applies_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ["--data-dir", str(tmp_path)]
    assert main(["db", "current", *data]) == 1
    shown = capsys.readouterr().out
    main_head = migrate.head("main")
    assert f"main schema: none, upgrade to {main_head} pending" in shown
    assert "upgrade pending: run kb-assistant db upgrade" in shown
    assert main(["db", "upgrade", *data]) == 0
    shown = capsys.readouterr().out
    assert "main database" in shown and f"main schema created at {main_head}" in shown
    assert "registry schema created at r1" in shown
    assert main(["db", "current", *data, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["pending"] is False
    assert [d["name"] for d in report["databases"]] == ["main database", "index database"]
    assert main(["db", "upgrade", *data]) == 0
    assert f"already at {main_head}" in capsys.readouterr().out


def test_db_upgrade_recognises_every_database_of_an_earlier_release(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(data_dir=tmp_path)
    (tmp_path / "index" / "v2").mkdir(parents=True)
    made: tuple[tuple[str, Schema], ...] = (
        (settings.resolved_database_url, "main"),
        (settings.resolved_index_database_url, "registry"),
        (f"sqlite:///{tmp_path / 'index/v2/manifest.sqlite3'}", "manifest"),
    )
    for url, schema in made:
        engine = make_engine(url)
        release.make_release_database(engine, schema)
        engine.dispose()
    data = ["--data-dir", str(tmp_path)]
    assert main(["db", "current", *data]) == 1
    shown = capsys.readouterr().out
    assert "manifest of v2" in shown and "manifest of v1" not in shown  # v1's was deleted
    assert shown.count("tables of an earlier release, upgrade to r") == 3
    assert main(["db", "upgrade", *data]) == 0
    assert capsys.readouterr().out.count("of an earlier release recorded as r1") == 3
    assert main(["db", "current", *data]) == 0
    assert "up to date" in capsys.readouterr().out


def test_processes_starting_at_once_on_a_new_database_all_succeed(
    url_for: UrlFor, tmp_path: Path
) -> None:
    main_url, index_url = url_for("kb"), url_for("registry")
    start = time.time() + 4  # every process is past its imports by then
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from kb_assistant.conversations import ConversationStore\n"
        "from kb_assistant.storage.databases import Databases\n"
        "main_url, index_url, start = sys.argv[1], sys.argv[2], float(sys.argv[3])\n"
        "databases = Databases(main_url, index_url, Path('.'))\n"
        "time.sleep(max(0.0, start - time.time()))\n"
        "databases.index_registry()\n"
        "ConversationStore(databases.main()).create()\n"
        "print('ok')\n"
    )
    children = [
        subprocess.Popen(
            [sys.executable, "-c", script, main_url, index_url, str(start)],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    results = [child.communicate(timeout=120) for child in children]
    for child, (out, err) in zip(children, results, strict=True):
        assert child.returncode == 0 and out.strip() == "ok", err
    opened: tuple[tuple[str, Schema], ...] = ((main_url, "main"), (index_url, "registry"))
    for url, schema in opened:
        engine = make_engine(url)
        [state] = migrate.states(engine, [schema])
        assert state.current == migrate.head(schema) and not state.pending
        with engine.connect() as connection:
            recorded = connection.execute(sa.text("SELECT version_num FROM alembic_version"))
            assert len(recorded.all()) == (1 if main_url != index_url else 2)
            if schema == "main":
                count = connection.scalar(sa.text("SELECT count(*) FROM conversations"))
                assert count == PROCESSES
        engine.dispose()
