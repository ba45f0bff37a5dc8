"""`kb-assistant slack`: the Slack app for support agents, in Socket Mode (no public URL)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from kb_assistant.cli.common import CliError, load_settings, translated_errors
from kb_assistant.settings import Settings

REQUIRED = (
    ("slack_bot_token", "KB_SLACK_BOT_TOKEN", "the Bot User OAuth Token (xoxb-…)"),
    ("slack_app_token", "KB_SLACK_APP_TOKEN", "an app-level token (xapp-…) with connections:write"),
)


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "slack",
        help="run the Slack app for support agents (Socket Mode)",
        description="Connect to Slack in Socket Mode and answer support agents who ask with "
        "/kb QUESTION, by mentioning the app or in a direct message; answers use public and "
        "internal knowledge and carry their sources. Needs KB_SLACK_BOT_TOKEN and "
        "KB_SLACK_APP_TOKEN (the app manifest is kb_assistant/slack/manifest.yaml). For HTTP "
        "mode, set KB_SLACK_SIGNING_SECRET and use `kb-assistant serve` (POST /slack/events).",
    )
    parser.add_argument(
        "--data-dir", type=Path, help="data directory (default: KB_DATA_DIR or ./.kb-data)"
    )
    parser.set_defaults(handler=run_slack)


def check_slack_settings(settings: Settings) -> str:
    """Refuse to start without the tokens Socket Mode needs, naming the missing variable;
    returns the app-level token."""
    for field, variable, what in REQUIRED:
        if getattr(settings, field) is None:
            raise CliError(
                f"{variable} is not set: copy {what} from the Slack app's settings "
                "(see kb_assistant/slack/manifest.yaml)"
            )
    return settings.slack_app_token.get_secret_value() if settings.slack_app_token else ""


def run_slack(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    app_token = check_slack_settings(settings)
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from kb_assistant.composition import (
        build_assistant,
        build_conversation_store,
        build_faq_publisher,
        build_handoff_store,
        configure_process,
    )
    from kb_assistant.composition.channels import build_slack_channel
    from kb_assistant.conversations import CustomerRelay

    configure_process(settings)
    with translated_errors():
        assistant = build_assistant(settings)
        relay = CustomerRelay(
            build_handoff_store(settings),
            build_conversation_store(settings),
            settings.handoff_response_time,
        )
        publisher = build_faq_publisher(settings, embedder=assistant.answers.embedder)
        slack = build_slack_channel(settings, assistant, relay=relay, publisher=publisher)
    if slack.desk is not None:
        slack.desk.mirror.start()
    try:
        SocketModeHandler(slack.app, app_token).start()
    finally:
        if slack.desk is not None:
            slack.desk.mirror.stop()
    return 0
