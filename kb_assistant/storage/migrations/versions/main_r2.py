"""Main database r2: what the operator console reads and needs — a trace of each reply,
operator accounts and their sessions — and FAQ drafts started from a content gap (no case).

Revision ID: main_r2
Revises: main_r1
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "main_r2"
down_revision = "main_r1"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "conversation_traces",
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.Column("conversation_id", sa.String(64), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("escalation", sa.String(32), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=True),
        sa.Column("composer", sa.String(64), nullable=False),
        sa.Column("question_used", sa.Text(), nullable=False),
        sa.Column("policy", sa.JSON(), nullable=True),
        sa.Column("passages", sa.JSON(), nullable=False),
        sa.Column("removed", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("message_id"),
        sa.ForeignKeyConstraint(["message_id"], ["conversation_messages.id"], ondelete="CASCADE"),
    )
    op.create_index(
        "ix_conversation_traces_conversation_id", "conversation_traces", ["conversation_id"]
    )
    op.create_index(
        "ix_conversation_traces_created_at",
        "conversation_traces",
        ["created_at", "action", "escalation", "latency_ms"],
    )
    op.create_table(
        "console_operators",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("last_sign_in", UTC_TIME, nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "console_sessions",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("operator", sa.String(64), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("last_seen", UTC_TIME, nullable=False),
        sa.Column("expires_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("token_hash"),
        sa.ForeignKeyConstraint(["operator"], ["console_operators.name"], ondelete="CASCADE"),
    )
    op.create_index("ix_console_sessions_operator", "console_sessions", ["operator"])
    op.create_index("ix_console_sessions_expires_at", "console_sessions", ["expires_at"])
    with op.batch_alter_table("faq_drafts") as batch:
        batch.alter_column("case_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("origin", sa.String(16), nullable=False, server_default="case"))
        batch.add_column(sa.Column("gap_key", sa.String(64), nullable=True))
        batch.create_unique_constraint("uq_faq_drafts_gap_key", ["gap_key"])


def downgrade() -> None:
    op.execute("DELETE FROM faq_drafts WHERE case_id IS NULL")
    with op.batch_alter_table("faq_drafts") as batch:
        batch.drop_constraint("uq_faq_drafts_gap_key", type_="unique")
        batch.drop_column("gap_key")
        batch.drop_column("origin")
        batch.alter_column("case_id", existing_type=sa.Integer(), nullable=False)
    op.drop_table("console_sessions")
    op.drop_table("console_operators")
    op.drop_table("conversation_traces")
