"""Upgrading databases that release 0.1.0 made: every row is still found by the stores, and
the first revision of each branch is exactly that release's schema and the models'."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from kb_assistant.conversations import ConversationStore, TurnLedger
from kb_assistant.faq import FaqDraftStore
from kb_assistant.handoff import HandoffStore
from kb_assistant.handoff.types import CustomerContact
from kb_assistant.index.lease import IndexLease
from kb_assistant.index.versions import VersionRegistry
from kb_assistant.operators import ConsoleSessions, OperatorAccounts
from kb_assistant.policy.audit import PolicyAudit
from kb_assistant.slack.case_messages import SlackCaseMessages
from kb_assistant.slack.feedback import SlackFeedbackStore
from kb_assistant.storage import migrate
from kb_assistant.storage.databases import Databases, redacted
from kb_assistant.storage.db import Base, make_engine
from kb_assistant.storage.manifest import ManifestStore
from kb_assistant.storage.migrate import SCHEMA_TABLES, SCHEMAS, Schema
from tests.handoff.conftest import make_packet
from tests.storage import release
from tests.storage.conftest import UrlFor


def test_a_release_main_database_keeps_every_row(
    url_for: UrlFor, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = url_for("kb")
    before = _release(url, "main")
    with caplog.at_level("INFO", logger="kb_assistant.storage.databases"):
        engine = Databases(url, url_for("registry"), tmp_path).main()
    assert f"database {redacted(url)}: main schema of an earlier release recorded as r1" in (
        caplog.text
    )
    assert release.row_counts(engine, "main") == before
    assert [s.current for s in migrate.states(engine, ["main"])] == [migrate.head("main")]

    conversations = ConversationStore(engine)
    chat = conversations.get(release.CONVERSATION)
    assert chat.contact == CustomerContact("ana@example.com", "Ana")
    transcript = conversations.transcript(release.CONVERSATION)
    assert [m.id for m in transcript] == [
        release.ASKED,
        release.ANSWERED,
        release.HANDED,
        release.RELAYED,
        release.WAITING,
    ]
    assert transcript[1].feedback == "down" and transcript[1].citations[0]["title"] == "Payments"
    assert transcript[3].agent == release.AGENT and transcript[3].case_id == 1
    assert conversations.add_message(release.CONVERSATION, "assistant", "Refunds: 5 days.").seq == 6
    [waiting] = TurnLedger(engine).pending()
    assert (waiting.message.id, waiting.attempts) == (release.WAITING, 2)

    cases = HandoffStore(engine)
    case = cases.get(1)
    assert (case.state, case.claimed_by, case.packet.label) == (
        "claimed",
        release.AGENT,
        "money_action",
    )
    assert [t.role for t in case.packet.transcript] == ["customer", "assistant"]
    assert case.packet.contact == CustomerContact("ana@example.com", "Ana") and case.packet.urgent
    assert [m.author for m in cases.messages(release.CONVERSATION)] == [release.AGENT]
    assert cases.open_case(make_packet("c_next"))[0].id == 2  # ids go on from the old ones

    newest, oldest = PolicyAudit(engine).recent(10)
    assert (newest.id, newest.language, newest.review) == (2, "ko", None)
    assert oldest.review is not None and oldest.review.startswith("rule:charged_twice")
    [rating] = SlackFeedbackStore(engine).ratings()
    assert (rating.user_id, rating.rating) == (release.AGENT, "up")
    assert SlackCaseMessages(engine).place_of(1) == (release.CHANNEL, release.SLACK_TS)
    draft = FaqDraftStore(engine).for_case(1)
    assert draft is not None and (draft.state, draft.approved_by) == ("approved", "Sam")
    assert (draft.origin, draft.gap_key) == ("case", None)  # a column added later, filled in

    # What later revisions added works on the upgraded database.
    accounts = OperatorAccounts(engine)
    accounts.add("lead", "a long enough passphrase")
    assert accounts.authenticate("lead", "a long enough passphrase") is not None
    started = ConsoleSessions(engine, idle=timedelta(hours=1), lifetime=timedelta(hours=8))
    assert started.find(started.begin("lead").token) is not None


def test_a_release_index_registry_keeps_every_row(url_for: UrlFor, tmp_path: Path) -> None:
    url = url_for("registry")
    before = _release(url, "registry")
    engine = Databases(url_for("kb"), url, tmp_path).index_registry()
    assert release.row_counts(engine, "registry") == before
    registry = VersionRegistry(engine, tmp_path, "kb", url_for("kb"))
    live = registry.live()
    assert (
        live is not None
        and live.id == 2
        and live.gate
        == {
            "recall_at_5": 0.91,
            "live_recall_at_5": 0.9,
            "passed": True,
        }
    )
    assert live.manifest_url == f"sqlite:///{(tmp_path / 'index/v2/manifest.sqlite3').resolve()}"
    assert [v.id for v in registry.all()] == [2, 1]
    assert registry.create().id == 3
    holder = IndexLease(engine).holder()
    assert holder is not None and holder.purpose == "kb-assistant reindex sources.yaml"


def test_a_release_manifest_keeps_every_row(url_for: UrlFor, tmp_path: Path) -> None:
    url = url_for("manifest")
    before = _release(url, "manifest")
    engine = Databases(url_for("kb"), url_for("registry"), tmp_path).manifest(url)
    assert release.row_counts(engine, "manifest") == before
    store = ManifestStore(engine)
    document = store.documents([release.DOC])[release.DOC]
    assert (document.version, len(document.chunks)) == (3, 2)
    last = store.last_run()
    assert last is not None and last.status == "done" and last.counts["added"] == 1
    assert store.get_meta("embedding_model") == "all-MiniLM-L6-v2"
    assert list(store.sources_under([release.RUN_ROOT])) == [f"{release.RUN_ROOT}/payments.md"]


@pytest.mark.parametrize("schema", SCHEMAS)
def test_revision_1_is_the_release_schema(url_for: UrlFor, tmp_path: Path, schema: Schema) -> None:
    url = url_for(schema)
    engine = make_engine(url)
    release.create_release_schema(engine, schema)
    made_by_release = _shape(engine)
    _drop_everything(engine)
    migrate.upgrade_to(engine, schema, "r1")
    assert _shape(engine) == made_by_release


@pytest.mark.parametrize("schema", SCHEMAS)
def test_the_newest_revision_matches_the_models(
    url_for: UrlFor, tmp_path: Path, schema: Schema
) -> None:
    url = url_for(schema)
    engine = Databases(url, url, tmp_path).engine(url, schema)
    models = sa.MetaData()
    for name in SCHEMA_TABLES[schema]:
        Base.metadata.tables[name].to_metadata(models)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), models) == []


def _release(url: str, schema: Schema) -> dict[str, int]:
    engine = make_engine(url)
    release.make_release_database(engine, schema)
    counts = release.row_counts(engine, schema)
    assert all(counts.values()), f"a table of the release is left empty: {counts}"
    engine.dispose()
    return counts


def _shape(engine: Engine) -> dict[str, Any]:
    """Tables, columns, keys, constraints and indexes, as the database reports them."""
    found = sa.inspect(engine)
    shape: dict[str, Any] = {}
    for table in sorted(set(found.get_table_names()) - {migrate.VERSION_TABLE}):
        shape[table] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"], c.get("default") is not None)
                for c in found.get_columns(table)
            ],
            "primary": found.get_pk_constraint(table)["constrained_columns"],
            "foreign": sorted(
                (tuple(f["constrained_columns"]), f["referred_table"], f["options"].get("ondelete"))
                for f in found.get_foreign_keys(table)
            ),
            "unique": sorted(
                (u["name"] or "", tuple(u["column_names"]))
                for u in found.get_unique_constraints(table)
            ),
            "indexes": sorted(
                (i["name"] or "", tuple(str(c) for c in i["column_names"]), bool(i["unique"]))
                for i in found.get_indexes(table)
            ),
        }
    return shape


def _drop_everything(engine: Engine) -> None:
    tables = sa.MetaData()
    tables.reflect(engine)
    tables.drop_all(engine)
