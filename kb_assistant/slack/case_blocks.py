"""Block Kit for a handoff case in the support agents' channel.

One message per case: why it was handed over, how upset the customer sounds, the transcript,
the passages the assistant found, its draft (marked as never sent to the customer), where the
case stands, and the Claim / Resolve buttons carrying the case id (Save as FAQ once it is
resolved, and who approved its FAQ entry once there is one). Everything the customer
wrote and everything from the knowledge base is mrkdwn-escaped, so it can neither ping
anyone nor plant a link.
"""

from __future__ import annotations

from kb_assistant.faq import FaqDraft
from kb_assistant.handoff import Case, CasePacket
from kb_assistant.slack.blocks import (
    MAX_SECTION_CHARS,
    Block,
    context,
    escape,
    section,
    split_text,
)

CASE_CLAIM = "kb_case_claim"
CASE_RESOLVE = "kb_case_resolve"
CASE_SAVE_FAQ = "kb_case_save_faq"
CASE_ACTIONS_BLOCK = "kb_case_actions"
MAX_PASSAGES = 5
PASSAGE_EXCERPT_CHARS = 200
MAX_TRANSCRIPT_SECTIONS = 4
DRAFT_HEADER = "*Draft — not sent to the customer*"
_ROLE_NAMES = {"customer": "Customer", "assistant": "Assistant", "agent": "Agent"}


def case_question(packet: CasePacket) -> str:
    """The customer's latest message in the transcript ("" when there is none)."""
    for turn in reversed(packet.transcript):
        if turn.role == "customer":
            return turn.text
    return ""


def state_line(case: Case, actor: str | None = None) -> str:
    """Where the case stands; `actor` (a Slack user id) names who made the latest change."""
    who = f"<@{actor}>" if actor else None
    if case.state == "resolved":
        return f":white_check_mark: *Resolved* by {who or escape(case.resolved_by or '?')}"
    if case.state == "claimed":
        return f":raising_hand: *Claimed* by {who or escape(case.claimed_by or '?')}"
    return ":hourglass_flowing_sand: *Open* — waiting for an agent to claim it"


def case_header(case: Case) -> list[Block]:
    """Case number, class, reason, score and the customer's mood."""
    packet = case.packet
    urgent = ":rotating_light: *URGENT* · " if packet.urgent else ""
    mood = "frustrated" if packet.frustrated else "calm"
    signals = ", ".join(escape(s) for s in packet.sentiment_signals[:5])
    question = escape(case_question(packet)) or "_(no customer message)_"
    return [
        section(f"{urgent}*Case {case.id}* · `{escape(packet.label)}`"),
        section(("*Customer asked*\n>" + question)[:MAX_SECTION_CHARS]),
        context(
            f"Reason: {escape(packet.reason)[:300]} · score {packet.score:.2f}"
            f" · sentiment {packet.sentiment:.2f} ({mood}{': ' + signals if signals else ''})"
        ),
    ]


def transcript_blocks(packet: CasePacket) -> list[Block]:
    """The conversation so far, its latest part when it is too long for the message."""
    lines = [
        f"*{_ROLE_NAMES.get(turn.role, turn.role)}:* {escape(' '.join(turn.text.split()))}"
        for turn in packet.transcript
    ]
    if not lines:
        return []
    pieces = split_text("\n".join(lines))[-MAX_TRANSCRIPT_SECTIONS:]
    return [section("*Transcript*"), *(section(piece) for piece in pieces)]


def passage_blocks(packet: CasePacket) -> list[Block]:
    """Titles and short excerpts of the passages the assistant retrieved."""
    if not packet.passages:
        return []
    lines = []
    for passage in packet.passages[:MAX_PASSAGES]:
        text = " ".join(passage.excerpt.split())
        if len(text) > PASSAGE_EXCERPT_CHARS:
            text = text[:PASSAGE_EXCERPT_CHARS].rstrip() + "…"
        lines.append(
            f"• *{escape(passage.title)}* · {escape(passage.location)} · _{passage.visibility}_"
            f"\n>{escape(text)}"
        )
    return [section("*Passages found*"), section("\n".join(lines)[:MAX_SECTION_CHARS])]


def draft_blocks(packet: CasePacket) -> list[Block]:
    """The assistant's draft, clearly marked as for the agent only."""
    if not packet.draft_answer:
        return [context(f"{DRAFT_HEADER}: the assistant drafted nothing")]
    body = split_text(escape(packet.draft_answer), MAX_SECTION_CHARS - len(DRAFT_HEADER) - 2)
    return [section(f"{DRAFT_HEADER}\n{body[0]}"), *(section(piece) for piece in body[1:3])]


def faq_line(faq: FaqDraft | None) -> list[Block]:
    """Whether the case became a FAQ entry, and who approved it."""
    if faq is None or faq.state == "draft":
        return []
    who = f"<@{faq.approved_by_id}>" if faq.approved_by_id else escape(faq.approved_by or "?")
    if faq.state == "published":
        return [context(f":books: *Saved as FAQ*, approved by {who}: customers get this answer")]
    return [context(f":books: FAQ entry approved by {who}, not published yet")]


def case_actions(case: Case, offer_faq: bool = False, faq: FaqDraft | None = None) -> list[Block]:
    """Claim (while open) and Resolve (while active) buttons; once resolved, Save as FAQ
    (when offered) until the entry is published."""
    buttons: list[Block] = []
    if case.state == "open":
        buttons.append(_button("Claim", CASE_CLAIM, case.id, "primary"))
    if case.active:
        buttons.append(_button("Resolve", CASE_RESOLVE, case.id, None))
    published = faq is not None and faq.state == "published"
    if case.state == "resolved" and offer_faq and not published:
        buttons.append(_button("Save as FAQ", CASE_SAVE_FAQ, case.id, None))
    if not buttons:
        return []
    return [{"type": "actions", "block_id": CASE_ACTIONS_BLOCK, "elements": buttons}]


def case_blocks(
    case: Case,
    actor: str | None = None,
    *,
    offer_faq: bool = False,
    faq: FaqDraft | None = None,
) -> list[Block]:
    """The whole case message (at most 21 blocks, well inside Slack's 50). `offer_faq` adds
    Save as FAQ to a resolved case; `faq` is the case's FAQ draft, if any."""
    packet = case.packet
    return [
        *case_header(case),
        *transcript_blocks(packet),
        *passage_blocks(packet),
        *draft_blocks(packet),
        context(state_line(case, actor)),
        *faq_line(faq),
        *case_actions(case, offer_faq, faq),
        context("Reply in this thread to write to the customer."),
    ]


def case_fallback(case: Case) -> str:
    """The notification text (and what clients without Block Kit show)."""
    question = " ".join(case_question(case.packet).split())[:200]
    urgent = "URGENT " if case.packet.urgent else ""
    return escape(f"{urgent}Case {case.id} ({case.packet.label}, {case.state}): {question}")


def _button(label: str, action_id: str, case_id: int, style: str | None) -> Block:
    button: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": label},
        "action_id": action_id,
        "value": str(case_id),
    }
    if style:
        button["style"] = style
    return button
