"""Building the stores and services around a conversation: the policy engine with its audit
log, the case store and the sinks that announce new cases, the conversation store."""

from __future__ import annotations

from kb_assistant.conversations import ConversationStore
from kb_assistant.core.redaction import Redactor
from kb_assistant.handoff import FanOutSink, HandoffSink, HandoffStore, LogSink, WebhookSink
from kb_assistant.policy import PolicyAudit, PolicyEngine, RuleSet, load_policy, policy_cache_dir
from kb_assistant.policy.classifier import train
from kb_assistant.ports import Embedder
from kb_assistant.settings import Settings
from kb_assistant.storage.databases import databases_for


def build_policy_engine(
    settings: Settings, embedder: Embedder, *, audit: bool = True
) -> PolicyEngine:
    """The configured policy engine: policy file, cached (or freshly trained) model, audit log.

    Training happens here on first use (seconds) and is cached under the data directory.
    """
    config = load_policy(settings.policy_file)
    model = train(
        embedder,
        config,
        cache_dir=policy_cache_dir(settings),
        extra=settings.policy_extra_examples,
    )
    log = None
    if audit:
        log = PolicyAudit(databases_for(settings).main(), Redactor(settings.redact_allowlist))
    return PolicyEngine(config, RuleSet.from_config(config), model, log)


def build_conversation_store(settings: Settings) -> ConversationStore:
    """The conversation store on the configured database (`KB_DATABASE_URL`, default SQLite)."""
    return ConversationStore(databases_for(settings).main())


def build_handoff_store(settings: Settings) -> HandoffStore:
    """The case store on the configured database (`KB_DATABASE_URL`, default SQLite)."""
    return HandoffStore(databases_for(settings).main())


def build_handoff_sink(settings: Settings) -> HandoffSink:
    """The log, plus the helpdesk webhook when `KB_HANDOFF_WEBHOOK_URL` is set, plus the
    support agents' Slack channel when `KB_SLACK_BOT_TOKEN` and `KB_SLACK_AGENT_CHANNEL` are."""
    sinks: list[HandoffSink] = [LogSink()]
    if settings.handoff_webhook_url:
        secret = settings.handoff_webhook_secret
        sinks.append(
            WebhookSink(
                settings.handoff_webhook_url,
                None if secret is None else secret.get_secret_value(),
                settings.handoff_webhook_timeout_s,
            )
        )
    if settings.slack_bot_token is not None and (settings.slack_agent_channel or "").strip():
        sinks.append(_slack_sink(settings))
    return sinks[0] if len(sinks) == 1 else FanOutSink(sinks)


def _slack_sink(settings: Settings) -> HandoffSink:
    from kb_assistant.slack.app import slack_client
    from kb_assistant.slack.case_messages import SlackCaseMessages
    from kb_assistant.slack.case_sink import SlackHandoffSink

    messages = SlackCaseMessages(databases_for(settings).main())
    channel = (settings.slack_agent_channel or "").strip()
    return SlackHandoffSink(slack_client(settings), channel, messages)
