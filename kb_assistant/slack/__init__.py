"""KB Assistant's Slack app for support agents: ask the knowledge base by `/kb`, mention or
DM, and rate the answers; handoff cases go to the agents' channel, where agents claim,
resolve and answer the customer in the case's thread.

`build_slack_app(settings, answers)` builds the bolt app; `kb-assistant slack` runs it in
Socket Mode and `kb-assistant serve` mounts it at `POST /slack/events`.
"""

from __future__ import annotations

from kb_assistant.slack.app import build_slack_app, register_listeners, slack_client
from kb_assistant.slack.ask import Answers, AskFlow, Place, question_from
from kb_assistant.slack.blocks import FEEDBACK_DOWN, FEEDBACK_UP, answer_blocks, escape, split_text
from kb_assistant.slack.case_blocks import CASE_CLAIM, CASE_RESOLVE, case_blocks
from kb_assistant.slack.cases import (
    CaseActions,
    ChannelMembers,
    SlackCaseMessages,
    SlackHandoffSink,
    register_case_listeners,
)
from kb_assistant.slack.feedback import SlackFeedback, SlackFeedbackStore

__all__ = [
    "CASE_CLAIM",
    "CASE_RESOLVE",
    "FEEDBACK_DOWN",
    "FEEDBACK_UP",
    "Answers",
    "AskFlow",
    "CaseActions",
    "ChannelMembers",
    "Place",
    "SlackCaseMessages",
    "SlackFeedback",
    "SlackFeedbackStore",
    "SlackHandoffSink",
    "answer_blocks",
    "build_slack_app",
    "case_blocks",
    "escape",
    "question_from",
    "register_case_listeners",
    "register_listeners",
    "slack_client",
    "split_text",
]
