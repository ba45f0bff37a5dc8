"""Alembic environment: runs migrations on the connection `kb_assistant.storage.migrate`
passes in (inside its transaction and lock), or, for writing new revisions with the
`alembic` command, on `sqlalchemy.url` of its configuration."""

from __future__ import annotations

from alembic import context

from kb_assistant.storage.db import make_engine

config = context.config
connection = config.attributes.get("connection")

if connection is not None:
    context.configure(connection=connection, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "sqlite://")
    with engine.begin() as own:
        context.configure(connection=own, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
