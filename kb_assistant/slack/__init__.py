"""KB Assistant's Slack app for support agents: ask the knowledge base by `/kb`, mention or
DM, and rate the answers.

`build_slack_app(settings, answers)` builds the bolt app; `kb-assistant slack` runs it in
Socket Mode and `kb-assistant serve` mounts it at `POST /slack/events`.
"""

from __future__ import annotations

from kb_assistant.slack.app import build_slack_app, register_listeners, slack_client
from kb_assistant.slack.ask import Answers, AskFlow, Place, question_from
from kb_assistant.slack.blocks import FEEDBACK_DOWN, FEEDBACK_UP, answer_blocks, escape, split_text
from kb_assistant.slack.feedback import SlackFeedback, SlackFeedbackStore

__all__ = [
    "FEEDBACK_DOWN",
    "FEEDBACK_UP",
    "Answers",
    "AskFlow",
    "Place",
    "SlackFeedback",
    "SlackFeedbackStore",
    "answer_blocks",
    "build_slack_app",
    "escape",
    "question_from",
    "register_listeners",
    "slack_client",
    "split_text",
]
