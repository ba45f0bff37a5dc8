"""`kb-assistant operators …`: the accounts that sign in to the operator console.

Passwords are read from the terminal without echo (twice), or from standard input with
`--password-stdin` (one line, for scripts); they never appear on the command line, where
other users of the machine could see them.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from kb_assistant.cli.common import (
    CliError,
    add_common_options,
    load_settings,
    print_json,
    translated_errors,
)

if TYPE_CHECKING:
    from kb_assistant.operators import ConsoleSessions, OperatorAccounts


def register(commands: Any) -> None:
    operators = commands.add_parser(
        "operators",
        help="accounts that sign in to the operator console (/console)",
        description="Add, list, disable or re-enable operator accounts, or set a new "
        "password. Passwords are stored as Argon2id hashes in the main database.",
    )
    which = operators.add_subparsers(dest="what", metavar="WHAT", required=True)
    add = which.add_parser("add", help="a new account (asks for its password)")
    add.add_argument("name", help="the name the operator signs in with")
    _password_option(add)
    add.set_defaults(handler=run_add)
    listed = which.add_parser("list", help="the accounts, and when each last signed in")
    listed.set_defaults(handler=run_list)
    password = which.add_parser("passwd", help="set a new password (ends the account's sessions)")
    password.add_argument("name")
    _password_option(password)
    password.set_defaults(handler=run_password)
    disable = which.add_parser("disable", help="stop the account signing in (ends its sessions)")
    disable.add_argument("name")
    disable.set_defaults(handler=run_disable, disabled=True)
    enable = which.add_parser("enable", help="let a disabled account sign in again")
    enable.add_argument("name")
    enable.set_defaults(handler=run_disable, disabled=False)
    for parser in (add, listed, password, disable, enable):
        add_common_options(parser)


def _password_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input (one line) instead of the terminal",
    )


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        line = sys.stdin.readline()
        if not line:
            raise CliError("--password-stdin: standard input is empty")
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise CliError("no terminal to ask for the password: use --password-stdin")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise CliError("the two passwords differ; nothing was changed")
    return first


def _services(args: argparse.Namespace) -> tuple[OperatorAccounts, ConsoleSessions]:
    from kb_assistant.composition.stores import build_conversation_store
    from kb_assistant.operators import ConsoleSessions, OperatorAccounts

    settings = load_settings(args)
    engine = build_conversation_store(settings).engine
    sessions = ConsoleSessions(
        engine,
        idle=timedelta(minutes=settings.console_idle_minutes),
        lifetime=timedelta(hours=settings.console_session_hours),
    )
    return OperatorAccounts(engine), sessions


def run_add(args: argparse.Namespace) -> int:
    password = _read_password(args)
    with translated_errors():
        accounts, _sessions = _services(args)
        operator = accounts.add(args.name, password)
    if args.json:
        print_json(operator.as_json())
    else:
        print(f"operator {operator.name} added; they can sign in at /console")
    return 0


def run_list(args: argparse.Namespace) -> int:
    with translated_errors():
        accounts, _sessions = _services(args)
        found = accounts.all()
    if args.json:
        print_json([o.as_json() for o in found])
        return 0
    if not found:
        print("no operator accounts yet: kb-assistant operators add NAME")
    for o in found:
        last = o.last_sign_in.isoformat(timespec="minutes") if o.last_sign_in else "never"
        state = " (disabled)" if o.disabled else ""
        print(f"{o.name}{state}  last signed in: {last}")
    return 0


def run_password(args: argparse.Namespace) -> int:
    password = _read_password(args)
    with translated_errors():
        accounts, sessions = _services(args)
        operator = accounts.set_password(args.name, password)
        ended = sessions.end_all(operator.name)
    if args.json:
        print_json({**operator.as_json(), "sessions_ended": ended})
    else:
        print(f"password of {operator.name} changed; {ended} session(s) ended")
    return 0


def run_disable(args: argparse.Namespace) -> int:
    with translated_errors():
        accounts, sessions = _services(args)
        operator = accounts.set_disabled(args.name, args.disabled)
        ended = sessions.end_all(operator.name) if args.disabled else 0
    if args.json:
        print_json({**operator.as_json(), "sessions_ended": ended})
    else:
        done = "disabled" if args.disabled else "enabled"
        print(f"operator {operator.name} {done}" + (f"; {ended} session(s) ended" if ended else ""))
    return 0
