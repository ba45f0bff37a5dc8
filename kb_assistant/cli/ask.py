"""`kb-assistant ask`: answer a question from the knowledge base, with sources."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from kb_assistant.cli.common import (
    CliError,
    add_common_options,
    load_settings,
    print_json,
    translated_errors,
)

if TYPE_CHECKING:
    from kb_assistant.assistant import Assistant
    from kb_assistant.core.replies import Answer


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "ask",
        help="answer a question from the knowledge base",
        description="Answer QUESTION from the knowledge base, in plain language, with sources. "
        "When the knowledge base does not cover it, say so and offer a person. The money and "
        "escalation policy runs first: a message it escalates (a refund, a charge dispute, a "
        "request for a person, a security matter) gets `action: escalate` with the class as "
        "`reason`, and the reply is the handoff message. The customer "
        "channel sees public documents only; the agent channel also sees internal ones "
        "(tickets) and gets technical answers with source excerpts. QUESTION '-' reads one "
        "question per line from standard input and prints one JSON object per line.",
    )
    parser.add_argument("question", metavar="QUESTION")
    parser.add_argument(
        "--channel", choices=("customer", "agent"), default="customer", help="who is asking"
    )
    parser.add_argument(
        "--length", choices=("short", "normal", "detailed"), help="answer length (KB_ANSWER_LENGTH)"
    )
    parser.add_argument(
        "--tone", choices=("casual", "professional"), help="answer tone (KB_ANSWER_TONE)"
    )
    parser.add_argument(
        "-k", "--top", type=int, help="passages to compose from (KB_ANSWER_PASSAGES)"
    )
    parser.add_argument(
        "--conversation",
        metavar="ID",
        help="the conversation the question belongs to: an escalated message opens (or "
        "joins) its handoff case in the store; without it no case is stored",
    )
    add_common_options(parser)
    parser.set_defaults(handler=run_ask)


def run_ask(args: argparse.Namespace) -> int:
    from kb_assistant.composition import build_assistant

    settings = load_settings(args)
    if args.top is not None:
        if not 1 <= args.top <= 20:
            raise CliError("--top must be between 1 and 20")
        settings = settings.model_copy(update={"answer_passages": args.top})
    length = args.length or settings.answer_length
    tone = args.tone or settings.answer_tone
    with translated_errors():
        assistant = build_assistant(settings, store_cases=False)
        asking = _Asking(assistant, args.channel, length, tone, args.conversation)
        if args.question == "-":
            return _answer_lines(asking)
        if not args.question.strip():
            raise CliError("QUESTION is empty")
        answer = asking.ask(args.question)
    if args.json:
        print_json(answer.as_json())
    else:
        print(answer.text)
        print(f"\n({answer.action}, confidence {answer.confidence:.2f}: {answer.reason})")
    return 0


class _Asking:
    """How every question of this command is asked."""

    def __init__(
        self, assistant: Assistant, channel: str, length: str, tone: str, conversation: str | None
    ) -> None:
        self.assistant = assistant
        self.channel = channel
        self.length = length
        self.tone = tone
        self.conversation = conversation

    def ask(self, question: str) -> Answer:
        from kb_assistant.core.replies import AnswerRequest

        request = AnswerRequest(
            question,
            self.channel,  # type: ignore[arg-type]
            length=self.length,  # type: ignore[arg-type]
            tone=self.tone,  # type: ignore[arg-type]
        )
        return self.assistant.reply(request, self.conversation)


def _answer_lines(asking: _Asking) -> int:
    """One JSON answer per input line; blank lines are skipped, the model loads once."""
    for line in sys.stdin:
        question = line.strip()
        if not question:
            continue
        answer = asking.ask(question)
        print_json({"question": question, **answer.as_json()})
        sys.stdout.flush()
    return 0
