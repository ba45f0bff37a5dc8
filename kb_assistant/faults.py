"""Crash points: named places in the reply flow where a server can be made to die, for tests.

A customer's message must survive the server dying at any moment. Random kills find most
gaps, but a few moments are too short to hit by chance (between storing a message and
running the policy on it), so crash tests name them: a server started with
`KB_CRASH_POINTS=turn.stored` kills itself with SIGKILL — no clean-up, no `finally` — the first
time a reply reaches that point. Unarmed (the default), a crash point costs one set lookup.

The armed points are process-wide state by nature: they stand for the process dying.
"""

from __future__ import annotations

import logging
import os
import signal

from kb_assistant.settings import ConfigurationError

log = logging.getLogger(__name__)

# Every point the reply flow passes, in order.
CRASH_POINTS = (
    "turn.stored",  # the customer's message and its pending decision are committed
    "policy.decided",  # the policy decided (and audited); nothing routed yet
    "case.opened",  # a handoff case was opened; the customer not told yet
    "reply.streaming",  # the first part of a streamed reply was stored and sent
    "reply.composed",  # the whole reply is written; not stored yet
    "reply.stored",  # the reply is stored; the response not sent yet
)

_armed: set[str] = set()


def arm(points: str) -> None:
    """Arm the comma-separated `points` (an empty string disarms every point)."""
    names = {name.strip() for name in points.split(",") if name.strip()}
    unknown = sorted(names - set(CRASH_POINTS))
    if unknown:
        raise ConfigurationError(
            f"unknown crash point(s) {', '.join(unknown)} in KB_CRASH_POINTS; "
            f"known: {', '.join(CRASH_POINTS)}"
        )
    _armed.clear()
    _armed.update(names)
    if names:
        log.warning("crash testing: this process kills itself at %s", ", ".join(sorted(names)))


def crash_point(name: str) -> None:
    """Die here, at once and uncleanly, when `name` is armed."""
    if name in _armed:
        os.kill(os.getpid(), signal.SIGKILL)
