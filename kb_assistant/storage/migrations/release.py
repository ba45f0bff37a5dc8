"""What the first revision of each branch needs: the tables of release 0.1.0, created where
missing, so that a database made by that release (or by an earlier one that had created
only some of them) is adopted as it is."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

TableMaker = tuple[str, Callable[[], None]]


def create_missing(tables: Sequence[TableMaker]) -> None:
    """Run each table's maker unless the table exists already (parents come first)."""
    present = set(sa.inspect(op.get_bind()).get_table_names())
    for name, make in tables:
        if name not in present:
            make()


def drop_all(tables: Sequence[TableMaker]) -> None:
    """Drop the tables, children first."""
    for name, _make in reversed(tables):
        op.drop_table(name)
