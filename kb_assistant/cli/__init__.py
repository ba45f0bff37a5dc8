"""The `kb-assistant` command line: one sub-command per module, errors as clear messages."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from kb_assistant import __version__
from kb_assistant.cli import (
    ask,
    db,
    evaluate,
    ingest,
    kb,
    operators,
    policy,
    reindex,
    serve,
    slack,
)
from kb_assistant.cli.common import CliError
from kb_assistant.core.errors import EXIT_CODES, KbError

DESCRIPTION = """\
KB Assistant answers customers from a company's own knowledge (FAQs, PDF manuals and
policies, past support tickets) with sources, and hands every money matter to a person.
Configuration comes from KB_* environment variables (or a .env file); see the README."""

EPILOG = """\
exit codes: 0 success, 1 some documents failed (the rest went in), 2 usage or
configuration error, 3 the quality gate refused a rebuild (reindex), 4 another job is
writing the index.

examples:
  kb-assistant ingest demo/kb/faq demo/kb/manuals
  kb-assistant ingest demo/kb/tickets --visibility internal --json
  kb-assistant status
  kb-assistant reindex --config sources.yaml --full --json
  kb-assistant versions
  kb-assistant rollback
  kb-assistant ask "How do I return an item?"
  kb-assistant classify "I was charged twice for my order" --json
  kb-assistant serve --port 8000
  kb-assistant slack
  kb-assistant db upgrade
  kb-assistant operators add lead
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kb-assistant",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more log output (-vv: debug)"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    ingest.register(commands)
    reindex.register(commands)
    ask.register(commands)
    policy.register(commands)
    kb.register(commands)
    evaluate.register(commands)
    serve.register(commands)
    slack.register(commands)
    db.register(commands)
    operators.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose)
    try:
        return int(args.handler(args))
    except CliError as exc:
        print(f"kb-assistant: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KbError as exc:  # a product error no command translated: mapped by its category
        print(f"kb-assistant: error: {exc}", file=sys.stderr)
        return EXIT_CODES[exc.category]
    except KeyboardInterrupt:
        print("kb-assistant: interrupted", file=sys.stderr)
        return 130


def _configure_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    if verbosity < 2:
        for noisy in ("httpx", "chromadb", "sentence_transformers", "transformers", "bm25s"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
