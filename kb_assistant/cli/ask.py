"""`kb-assistant ask`: the best passages for a question, with their sources."""

from __future__ import annotations

import argparse
import textwrap
from typing import Any

from kb_assistant.cli.common import add_common_options, load_settings, print_json, translated_errors


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "ask",
        help="search the knowledge base",
        description="Show the passages that best answer QUESTION, with their sources. "
        "The customer channel sees public documents only; the agent channel also sees "
        "internal ones (tickets).",
    )
    parser.add_argument("question", metavar="QUESTION")
    parser.add_argument(
        "--channel", choices=("customer", "agent"), default="customer", help="who is asking"
    )
    parser.add_argument("-k", "--top", type=int, default=5, help="number of passages (default 5)")
    add_common_options(parser)
    parser.set_defaults(handler=run_ask)


def run_ask(args: argparse.Namespace) -> int:
    from kb_assistant.composition import build_retriever
    from kb_assistant.retrieval import cite

    settings = load_settings(args)
    with translated_errors():
        passages = build_retriever(settings).retrieve(args.question, args.channel, args.top)
    if args.json:
        print_json(
            {
                "question": args.question,
                "channel": args.channel,
                "passages": [
                    {
                        "text": p.text,
                        "title": p.title,
                        "source": cite(p),
                        "kind": p.kind,
                        "visibility": p.visibility,
                        "page_start": p.page_start,
                        "page_end": p.page_end,
                        "score": round(p.score, 6),
                        "doc_id": p.doc_id,
                        "chunk_id": p.chunk_id,
                    }
                    for p in passages
                ],
            }
        )
        return 0
    if not passages:
        print("No matching passages. Is anything indexed? Try `kb-assistant status`.")
    for number, passage in enumerate(passages, start=1):
        print(f"[{number}] {passage.title} ({cite(passage)})")
        print(textwrap.indent(textwrap.shorten(passage.text, 400, placeholder=" …"), "    "))
    return 0
