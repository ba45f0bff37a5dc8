"""Index registry r1: the tables of release 0.1.0 — index versions, the live pointer and the
writer lease.

Revision ID: registry_r1
Revises:
Create Date: 2025-06-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kb_assistant.storage.migrations.release import TableMaker, create_missing, drop_all

revision = "registry_r1"
down_revision = None
branch_labels = ("registry",)
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)


def _index_versions() -> None:
    op.create_table(
        "index_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("collection_prefix", sa.String(64), nullable=False),
        sa.Column("keyword_dir", sa.Text(), nullable=False),
        sa.Column("manifest_url", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("finished_at", UTC_TIME, nullable=True),
        sa.Column("live_since", UTC_TIME, nullable=True),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("chunks", sa.JSON(), nullable=False),
        sa.Column("gate", sa.JSON(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_index_versions_state", "index_versions", ["state"])


def _index_live() -> None:
    op.create_table(
        "index_live",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("switched_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def _index_leases() -> None:
    op.create_table(
        "index_leases",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(200), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("process_start", sa.String(32), nullable=False),
        sa.Column("acquired_at", UTC_TIME, nullable=False),
        sa.Column("renewed_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


TABLES: tuple[TableMaker, ...] = (
    ("index_versions", _index_versions),
    ("index_live", _index_live),
    ("index_leases", _index_leases),
)


def upgrade() -> None:
    create_missing(TABLES)


def downgrade() -> None:
    drop_all(TABLES)
