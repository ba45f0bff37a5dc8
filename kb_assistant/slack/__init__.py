"""KB Assistant's Slack app for support agents: ask the knowledge base by `/kb`, mention or
DM, and rate the answers; handoff cases go to the agents' channel, where agents claim,
resolve, answer the customer in the case's thread, and save good answers as FAQ entries.

The composition root builds the bolt app (`kb_assistant.composition.channels`);
`kb-assistant slack` runs it in Socket Mode and `kb-assistant serve` mounts it at
`POST /slack/events`.
"""

from __future__ import annotations

from kb_assistant.slack.app import build_slack_app, register_listeners, slack_client
from kb_assistant.slack.ask import AskFlow, Place, Replies, question_from
from kb_assistant.slack.blocks import FEEDBACK_DOWN, FEEDBACK_UP, answer_blocks, escape, split_text
from kb_assistant.slack.case_actions import CaseActions
from kb_assistant.slack.case_blocks import CASE_CLAIM, CASE_RESOLVE, CASE_SAVE_FAQ, case_blocks
from kb_assistant.slack.case_listeners import register_case_listeners
from kb_assistant.slack.case_messages import SlackCaseMessages
from kb_assistant.slack.case_mirror import CaseMirror
from kb_assistant.slack.case_sink import SlackHandoffSink
from kb_assistant.slack.desk import CaseDesk, agent_channel, build_case_desk
from kb_assistant.slack.faq import FAQ_VIEW, FaqFlow, register_faq_listeners
from kb_assistant.slack.feedback import SlackFeedback, SlackFeedbackStore
from kb_assistant.slack.members import ChannelMembers

__all__ = [
    "CASE_CLAIM",
    "CASE_RESOLVE",
    "CASE_SAVE_FAQ",
    "FAQ_VIEW",
    "FEEDBACK_DOWN",
    "FEEDBACK_UP",
    "AskFlow",
    "CaseActions",
    "CaseDesk",
    "CaseMirror",
    "ChannelMembers",
    "FaqFlow",
    "Place",
    "Replies",
    "SlackCaseMessages",
    "SlackFeedback",
    "SlackFeedbackStore",
    "SlackHandoffSink",
    "agent_channel",
    "answer_blocks",
    "build_case_desk",
    "build_slack_app",
    "case_blocks",
    "escape",
    "question_from",
    "register_case_listeners",
    "register_faq_listeners",
    "register_listeners",
    "slack_client",
    "split_text",
]
