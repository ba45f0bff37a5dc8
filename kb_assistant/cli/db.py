"""`kb-assistant db upgrade` and `kb-assistant db current`: the databases' schema revisions.

Every process brings a database to the newest schema the first time it opens it, so an
upgrade needs no step of its own; `db upgrade` does it ahead of time (before a deployment
starts its servers, say) and says what it did, `db current` only looks.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import Any

from kb_assistant.cli.common import CliError, add_common_options, load_settings, print_json
from kb_assistant.settings import Settings


def register(commands: Any) -> None:
    db = commands.add_parser(
        "db",
        help="the databases' schema: upgrade it, or see its revision",
        description="The schema of the main database (cases, conversations, audit, Slack, "
        "FAQ drafts), the index database (versions, live pointer, lease) and each index "
        "version's manifest is migrated to the newest revision the first time a process "
        "opens it. Back the databases up before upgrading to a new release.",
    )
    which = db.add_subparsers(dest="what", metavar="WHAT", required=True)
    upgrade = which.add_parser(
        "upgrade",
        help="bring every database to the newest schema, printing from → to",
        description="Bring the main database, the index database and every index version's "
        "manifest to the newest schema revision. A database made by a release before "
        "migrations is recognised and recorded as r1 first. Safe while servers run and "
        "with several processes upgrading at once.",
    )
    add_common_options(upgrade)
    upgrade.set_defaults(handler=run_upgrade)
    current = which.add_parser(
        "current",
        help="each database's schema revision and whether an upgrade is pending",
        description="Print each database's schema revision and the newest one; changes nothing.",
        epilog="exit codes: 0 every database is at the newest revision, 1 an upgrade is "
        "pending, 2 usage or configuration error.",
    )
    add_common_options(current)
    current.set_defaults(handler=run_current)


def run_upgrade(args: argparse.Namespace) -> int:
    from kb_assistant.storage.databases import databases_for

    settings = load_settings(args)
    with _database_errors():
        done = databases_for(settings).upgrade_all()
    if args.json:
        print_json(
            [
                {**asdict(place), "schemas": [asdict(step) for step in steps]}
                for place, steps in done
            ]
        )
    else:
        for place, steps in done:
            print(f"{place.name} {place.url}: " + "; ".join(step.describe() for step in steps))
    return 0


def upgrade_on_start(settings: Settings) -> None:
    """Upgrade before serving; each change goes to standard error."""
    from kb_assistant.storage.databases import databases_for

    for place, steps in databases_for(settings).upgrade_all():
        for step in steps:
            if step.changed:
                print(f"database {place.url}: {step.describe()}", file=sys.stderr)


def run_current(args: argparse.Namespace) -> int:
    from kb_assistant.storage.databases import databases_for

    settings = load_settings(args)
    with _database_errors():
        found = databases_for(settings).states()
    pending = any(state.pending for _place, states in found for state in states)
    if args.json:
        print_json(
            {
                "pending": pending,
                "databases": [
                    {
                        **asdict(place),
                        "schemas": [{**asdict(s), "pending": s.pending} for s in states],
                    }
                    for place, states in found
                ],
            }
        )
    else:
        for place, states in found:
            print(f"{place.name} {place.url}: " + "; ".join(s.describe() for s in states))
        print("upgrade pending: run kb-assistant db upgrade" if pending else "up to date")
    return 1 if pending else 0


@contextmanager
def _database_errors() -> Iterator[None]:
    """A database that cannot be reached or changed, as one line saying what to check."""
    from sqlalchemy.exc import DBAPIError

    try:
        yield
    except DBAPIError as exc:
        raise CliError(
            f"database error: {exc.orig}; check KB_DATABASE_URL and KB_INDEX_DATABASE_URL "
            "(a failed upgrade changes nothing: each database's runs in one transaction)"
        ) from None
