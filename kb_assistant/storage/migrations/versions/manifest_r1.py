"""Index manifest r1: the tables of release 0.1.0 — documents, their chunks, source files,
ingest runs and settings. A manifest is rebuilt by re-indexing, but an incremental run
relies on it, and the index adopted from before versions existed keeps it in the main
database.

Revision ID: manifest_r1
Revises:
Create Date: 2025-06-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kb_assistant.storage.migrations.release import TableMaker, create_missing, drop_all

revision = "manifest_r1"
down_revision = None
branch_labels = ("manifest",)
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)


def _documents() -> None:
    op.create_table(
        "documents",
        sa.Column("id", sa.String(2048), nullable=False),
        sa.Column("source", sa.String(2048), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("visibility", sa.String(16), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("chunk_count", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=True),
        sa.Column("ingested_at", UTC_TIME, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("source", "visibility", "content_hash"):
        op.create_index(f"ix_documents_{column}", "documents", [column])


def _sources() -> None:
    op.create_table(
        "sources",
        sa.Column("path", sa.String(2048), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("stat", sa.String(64), nullable=False),
        sa.Column("config", sa.String(64), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("path"),
    )


def _ingest_runs() -> None:
    op.create_table(
        "ingest_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", UTC_TIME, nullable=False),
        sa.Column("finished_at", UTC_TIME, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("paths", sa.JSON(), nullable=False),
        sa.Column("full", sa.Boolean(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("chunks_embedded", sa.Integer(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def _meta() -> None:
    op.create_table(
        "meta",
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def _chunks() -> None:
    op.create_table(
        "chunks",
        sa.Column("id", sa.String(128), nullable=False),
        sa.Column("doc_id", sa.String(2048), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("visibility", sa.String(16), nullable=False),
        sa.Column("page_start", sa.Integer(), nullable=True),
        sa.Column("page_end", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(["doc_id"], ["documents.id"], ondelete="CASCADE"),
    )
    for column in ("doc_id", "content_hash", "visibility"):
        op.create_index(f"ix_chunks_{column}", "chunks", [column])


TABLES: tuple[TableMaker, ...] = (
    ("documents", _documents),
    ("sources", _sources),
    ("ingest_runs", _ingest_runs),
    ("meta", _meta),
    ("chunks", _chunks),
)


def upgrade() -> None:
    create_missing(TABLES)


def downgrade() -> None:
    drop_all(TABLES)
