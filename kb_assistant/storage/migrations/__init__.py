"""Alembic migrations of the three kinds of database: one branch per kind (`main`,
`registry`, `manifest`), run by `kb_assistant.storage.migrate`.

A new revision continues its branch and is named after it, e.g. for the main database
(with an ini file whose `script_location` is this folder and `sqlalchemy.url` a scratch
database)::

    alembic -c dev.ini revision --head main@head --rev-id main_r2 -m "what changes"

Write the operations out (`op.add_column`, `op.create_index`; `op.batch_alter_table` for
what SQLite cannot alter in place), change the models to match, and the storage tests
check that the newest revision and the models agree and that a release database keeps
its rows through the upgrade.
"""
