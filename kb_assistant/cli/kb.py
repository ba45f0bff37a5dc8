"""`kb-assistant kb report`: a health report on the knowledge base itself.

Before trusting the assistant with a company's sources, a support lead wants to know
whether they disagree (one fact stated with different values in two places), repeat each
other (exact and near duplicates, boilerplate), have units too short or too long to answer
from, pages that could not be read, questions customers asked that nothing answered, and
entries no customer's answer has used. The report reads the live index without changing it.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from kb_assistant.cli.common import (
    CliError,
    add_common_options,
    load_settings,
    print_json,
    translated_errors,
)

VISIBILITY_CHOICES = ("public", "internal", "all")


def register(commands: Any) -> None:
    kb = commands.add_parser(
        "kb",
        help="check the knowledge base itself: contradictions, duplicates, gaps",
        description="Check the indexed knowledge base itself.",
    )
    which = kb.add_subparsers(dest="what", metavar="WHAT", required=True)
    report = which.add_parser(
        "report",
        help="a health report: contradictions, duplicates, boilerplate, gaps",
        description="Report on the live index: facts stated with different values in two "
        "places (return windows, fees, discounts, limits), exact and near duplicates, "
        "boilerplate repeated across chunks, very long and very short chunks, the sources "
        'the last ingestion could not read, customer questions answered "I don\'t know" '
        "or rated down, and the public entries no customer's answer has cited (once enough "
        "answers are stored) with the most cited ones. Reads the index only (no version is "
        "made or switched; no model is loaded unless --cosine).",
        epilog="exit codes: 0 report made (whatever it found), 2 usage or configuration "
        "error, or nothing indexed yet.",
    )
    report.add_argument(
        "--html",
        type=Path,
        metavar="FILE",
        help="write the report as a self-contained HTML page (inline charts, no scripts)",
    )
    report.add_argument(
        "--visibility",
        choices=VISIBILITY_CHOICES,
        default="all",
        help="which part of the index to check (default: all)",
    )
    report.add_argument(
        "--cosine",
        action="store_true",
        help="also require the embedding model's cosine similarity for contradictions "
        "(loads the model)",
    )
    add_common_options(report)
    report.set_defaults(handler=run_report)


def run_report(args: argparse.Namespace) -> int:
    from kb_assistant.composition import NothingIndexedError
    from kb_assistant.composition.report import health_report
    from kb_assistant.kbreport import render_html, render_text

    settings = load_settings(args)
    with translated_errors():
        embed = None
        if args.cosine:
            from kb_assistant.composition import build_embedder

            embed = build_embedder(settings).embed_documents
        try:
            report = health_report(settings, args.visibility, embed)
        except NothingIndexedError as error:
            raise CliError(str(error)) from None
    if args.html is not None:
        try:
            args.html.write_text(render_html(report), encoding="utf-8")
        except OSError as error:
            raise CliError(f"--html {args.html}: cannot write the report ({error})") from None
    if args.json:
        print_json({**report.as_json(), "html": None if args.html is None else str(args.html)})
    else:
        print(render_text(report))
        if args.html is not None:
            print(f"\nHTML report written to {args.html}")
    return 0
