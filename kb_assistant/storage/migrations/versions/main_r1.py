"""Main database r1: the tables of release 0.1.0 — conversations, pending turns, handoff
cases, the policy audit, Slack ratings and case messages, FAQ drafts.

Revision ID: main_r1
Revises:
Create Date: 2025-06-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kb_assistant.storage.migrations.release import TableMaker, create_missing, drop_all

revision = "main_r1"
down_revision = None
branch_labels = ("main",)
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)


def _conversations() -> None:
    op.create_table(
        "conversations",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("client", sa.String(200), nullable=True),
        sa.Column("contact", sa.JSON(), nullable=True),
        sa.Column("last_event", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_conversations_created_at", "conversations", ["created_at"])


def _conversation_messages() -> None:
    op.create_table(
        "conversation_messages",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("conversation_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("citations", sa.JSON(), nullable=False),
        sa.Column("action", sa.String(16), nullable=True),
        sa.Column("offer_human", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("reply_to", sa.String(64), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("case_message_id", sa.Integer(), nullable=True),
        sa.Column("event", sa.String(16), nullable=True),
        sa.Column("handoff_state", sa.String(16), nullable=True),
        sa.Column("agent", sa.String(200), nullable=True),
        sa.Column("in_transcript", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("conversation_id", "seq", name="uq_conversation_message_seq"),
        sa.UniqueConstraint("case_id", "handoff_state", name="uq_conversation_handoff_state"),
        sa.UniqueConstraint("case_message_id", name="uq_conversation_case_message"),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
    )
    op.create_index(
        "ix_conversation_messages_action", "conversation_messages", ["action", "created_at"]
    )


def _conversation_feedback() -> None:
    op.create_table(
        "conversation_feedback",
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.Column("conversation_id", sa.String(64), nullable=False),
        sa.Column("rating", sa.String(8), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("message_id"),
        sa.ForeignKeyConstraint(["message_id"], ["conversation_messages.id"], ondelete="CASCADE"),
    )
    for column in ("updated_at", "conversation_id", "rating"):
        op.create_index(f"ix_conversation_feedback_{column}", "conversation_feedback", [column])


def _conversation_pending_turns() -> None:
    op.create_table(
        "conversation_pending_turns",
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.Column("conversation_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("length", sa.String(16), nullable=True),
        sa.Column("tone", sa.String(16), nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("owner", sa.String(300), nullable=True),
        sa.Column("claimed_at", UTC_TIME, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("reply_id", sa.String(64), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("message_id"),
        sa.ForeignKeyConstraint(["message_id"], ["conversation_messages.id"], ondelete="CASCADE"),
    )
    for column in ("conversation_id", "created_at"):
        op.create_index(
            f"ix_conversation_pending_turns_{column}", "conversation_pending_turns", [column]
        )


def _handoff_cases() -> None:
    op.create_table(
        "handoff_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(200), nullable=False),
        sa.Column("active_conversation", sa.String(200), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("label", sa.String(32), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("packet", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.Column("claimed_at", UTC_TIME, nullable=True),
        sa.Column("claimed_by", sa.String(200), nullable=True),
        sa.Column("resolved_at", UTC_TIME, nullable=True),
        sa.Column("resolved_by", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("active_conversation"),
    )
    for column in ("label", "state", "conversation_id"):
        op.create_index(f"ix_handoff_cases_{column}", "handoff_cases", [column])


def _handoff_turns() -> None:
    op.create_table(
        "handoff_turns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "position", name="uq_handoff_turn_position"),
        sa.ForeignKeyConstraint(["case_id"], ["handoff_cases.id"], ondelete="CASCADE"),
    )


def _handoff_messages() -> None:
    op.create_table(
        "handoff_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(200), nullable=False),
        sa.Column("direction", sa.String(16), nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(["case_id"], ["handoff_cases.id"], ondelete="CASCADE"),
    )
    op.create_index("ix_handoff_messages_case_id", "handoff_messages", ["case_id"])
    op.create_index(
        "ix_handoff_messages_conversation", "handoff_messages", ["conversation_id", "id"]
    )


def _policy_decisions() -> None:
    op.create_table(
        "policy_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("conversation_id", sa.String(128), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("label", sa.String(32), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("rule", sa.String(128), nullable=False),
        sa.Column("decided_by", sa.String(32), nullable=False),
        sa.Column("policy_version", sa.String(64), nullable=False),
        sa.Column("frustration", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("conversation_id", "label", "created_at"):
        op.create_index(f"ix_policy_decisions_{column}", "policy_decisions", [column])


def _policy_decision_languages() -> None:
    op.create_table(
        "policy_decision_languages",
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.PrimaryKeyConstraint("decision_id"),
        sa.ForeignKeyConstraint(["decision_id"], ["policy_decisions.id"], ondelete="CASCADE"),
    )
    op.create_index(
        "ix_policy_decision_languages_language", "policy_decision_languages", ["language"]
    )


def _policy_decision_reviews() -> None:
    op.create_table(
        "policy_decision_reviews",
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(256), nullable=False),
        sa.PrimaryKeyConstraint("decision_id"),
        sa.ForeignKeyConstraint(["decision_id"], ["policy_decisions.id"], ondelete="CASCADE"),
    )


def _slack_feedback() -> None:
    op.create_table(
        "slack_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("channel_id", sa.String(64), nullable=False),
        sa.Column("message_ts", sa.String(32), nullable=False),
        sa.Column("rating", sa.String(8), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "channel_id", "message_ts"),
    )


def _slack_case_messages() -> None:
    op.create_table(
        "slack_case_messages",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.String(64), nullable=False),
        sa.Column("message_ts", sa.String(32), nullable=False),
        sa.Column("shown_state", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("case_id"),
        sa.UniqueConstraint("channel_id", "message_ts"),
    )


def _faq_drafts() -> None:
    op.create_table(
        "faq_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("redactions", sa.Integer(), nullable=False),
        sa.Column("approved_by", sa.String(200), nullable=True),
        sa.Column("approved_by_id", sa.String(200), nullable=True),
        sa.Column("approved_at", UTC_TIME, nullable=True),
        sa.Column("published_at", UTC_TIME, nullable=True),
        sa.Column("doc_id", sa.String(1000), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id"),
    )


TABLES: tuple[TableMaker, ...] = (
    ("conversations", _conversations),
    ("conversation_messages", _conversation_messages),
    ("conversation_feedback", _conversation_feedback),
    ("conversation_pending_turns", _conversation_pending_turns),
    ("handoff_cases", _handoff_cases),
    ("handoff_turns", _handoff_turns),
    ("handoff_messages", _handoff_messages),
    ("policy_decisions", _policy_decisions),
    ("policy_decision_languages", _policy_decision_languages),
    ("policy_decision_reviews", _policy_decision_reviews),
    ("slack_feedback", _slack_feedback),
    ("slack_case_messages", _slack_case_messages),
    ("faq_drafts", _faq_drafts),
)


def upgrade() -> None:
    create_missing(TABLES)


def downgrade() -> None:
    drop_all(TABLES)
