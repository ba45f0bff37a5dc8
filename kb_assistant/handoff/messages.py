"""What the customer is told when a person takes over their conversation.

The wording says who will reply, when, and where, and nothing else: it makes no statement
about the customer's money either way (no refund, credit or compensation is promised or
ruled out), because only the person who takes the case may decide that.
"""

from __future__ import annotations

from kb_assistant.settings import ConfigurationError

_WHERE = "right here in this chat"
_NO_REPEAT = "They can see our conversation so far, so you won't need to repeat anything."

_OPENINGS: dict[str, str] = {
    "human_request": "Of course — I'm passing you to a person from our support team.",
    "money_action": (
        "Questions about payments, charges and refunds are always handled by a person from our "
        "team, so I've passed your conversation to them."
    ),
    "security": (
        "Thank you for telling us. I've marked this as urgent and passed it to a person from "
        "our team, who will look at it right away."
    ),
}
_DEFAULT_OPENING = "I've passed your conversation to a person from our support team."
_SECURITY_ADVICE = "Please don't share passwords, PINs or full card numbers in this chat."


def handoff_message(
    label: str, response_time: str, *, urgent: bool = False, already_open: bool = False
) -> str:
    """The customer's message when their conversation goes to a person.

    `label` is the policy class that sent it there, `response_time` the configured promise
    (`Settings.handoff_response_time`, e.g. "within 2 hours"); `urgent` marks a security
    matter whatever the label; `already_open` is for a conversation a person already has.
    """
    when = _response_time(response_time)
    urgent = urgent or label == "security"
    if already_open:
        return _already_open(when, urgent)
    if urgent:
        return " ".join(
            (
                _OPENINGS["security"],
                f"You'll hear from them {when} at the latest, {_WHERE}.",
                _SECURITY_ADVICE,
            )
        )
    return " ".join(
        (
            _OPENINGS.get(label, _DEFAULT_OPENING),
            _NO_REPEAT,
            f"You can expect a reply {when}, {_WHERE}.",
            "If there's anything else they should know, just write it here.",
        )
    )


def _already_open(when: str, urgent: bool) -> str:
    """For a conversation a person already has: reassure, don't start over."""
    if urgent:
        return " ".join(
            (
                "A person from our team is already on the way, and I've marked your "
                "conversation as urgent so they look at it right away.",
                f"You'll hear from them {when} at the latest, {_WHERE}.",
                _SECURITY_ADVICE,
            )
        )
    return " ".join(
        (
            "A person from our team is already on the way and has your conversation.",
            "I've added your new message for them.",
            f"You can expect a reply {when}, {_WHERE}.",
        )
    )


def _response_time(response_time: str) -> str:
    when = " ".join(response_time.split()).rstrip(".")
    if not when:
        raise ConfigurationError(
            'KB_HANDOFF_RESPONSE_TIME is empty: set when customers can expect a reply, e.g. "within'
            ' 2 hours" or "by the next working day"'
        )
    return when
