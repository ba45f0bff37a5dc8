"""Where a new handoff case goes besides the store: a helpdesk webhook, the log, several at once.

A sink only notifies. The case is stored before any sink runs, so a sink that fails loses
nothing: it raises `HandoffDeliveryError` and the caller decides whether to retry later.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import uuid
from collections.abc import Sequence
from typing import Protocol

import httpx

from kb_assistant.handoff.errors import HandoffDeliveryError
from kb_assistant.handoff.types import Case
from kb_assistant.settings import ConfigurationError

SIGNATURE_HEADER = "X-KB-Signature"
TIMESTAMP_HEADER = "X-KB-Timestamp"
DELIVERY_HEADER = "X-KB-Delivery"  # the same on every retry of one delivery: lets receivers dedupe
_RETRY_STATUSES = frozenset({408, 425, 429})

_log = logging.getLogger(__name__)


class HandoffSink(Protocol):
    """Something told about every new case (a helpdesk, a chat channel, the log)."""

    def deliver(self, case: Case) -> None:
        """Pass the case on; raise `HandoffDeliveryError` when it could not be."""
        ...


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value: `sha256=` and the hex HMAC-SHA256 of `<timestamp>.<body>`.

    Signing the timestamp with the body lets a receiver refuse replays of old deliveries.
    """
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify_signature(
    secret: str,
    timestamp: str,
    body: bytes,
    signature: str,
    *,
    tolerance_s: float = 300.0,
    now: float | None = None,
) -> bool:
    """Whether a delivery is authentic and recent: what a receiver of the webhook checks."""
    try:
        age = abs((time.time() if now is None else now) - int(timestamp))
    except ValueError:
        return False
    return age <= tolerance_s and hmac.compare_digest(sign(secret, timestamp, body), signature)


class WebhookSink:
    """POSTs each case as JSON to a URL, signed with a shared secret when one is set.

    Connection errors, timeouts, 5xx, 408, 425 and 429 are retried (`attempts` in all, waiting
    `backoff_s`, then twice that, ...); any other answer that is not 2xx fails at once.
    """

    def __init__(
        self,
        url: str,
        secret: str | None = None,
        timeout_s: float = 10.0,
        *,
        attempts: int = 3,
        backoff_s: float = 0.5,
    ) -> None:
        parsed = httpx.URL(url) if isinstance(url, str) else None
        if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
            raise ConfigurationError(
                "the handoff webhook URL (KB_HANDOFF_WEBHOOK_URL) must be an absolute http:// "
                f"or https:// URL, not {url!r}"
            )
        if secret is not None and not secret.strip():
            raise ConfigurationError(
                "the handoff webhook secret (KB_HANDOFF_WEBHOOK_SECRET) is blank: set a real "
                "secret, or unset it to send unsigned requests"
            )
        if timeout_s <= 0 or attempts < 1 or backoff_s < 0:
            raise ConfigurationError(
                "the handoff webhook needs timeout_s > 0, attempts >= 1 and backoff_s >= 0; "
                f"got {timeout_s}, {attempts} and {backoff_s}"
            )
        self.url = url
        self.secret = secret
        self.timeout_s = timeout_s
        self.attempts = attempts
        self.backoff_s = backoff_s
        # Shown in messages instead of the URL, whose path or query may hold a token.
        self.target = f"{parsed.scheme}://{parsed.netloc.decode()}"

    def deliver(self, case: Case) -> None:
        """POST the case; `HandoffDeliveryError` once every attempt has failed."""
        body = json.dumps(case.as_json(), ensure_ascii=False, separators=(",", ":")).encode()
        delivery = uuid.uuid4().hex
        problem = ""
        with httpx.Client(timeout=self.timeout_s, follow_redirects=False) as client:
            for attempt in range(self.attempts):
                if attempt:
                    time.sleep(self.backoff_s * 2 ** (attempt - 1))
                retry, problem = self._post(client, body, delivery)
                if not problem:
                    return
                if not retry:
                    break
        raise HandoffDeliveryError(
            f"case {case.id} was not delivered to the webhook at {self.target} ({problem}; "
            f"{attempt + 1} attempt(s)); the case is stored: check KB_HANDOFF_WEBHOOK_URL and "
            "that the receiver is up, then deliver it again"
        )

    def _post(self, client: httpx.Client, body: bytes, delivery: str) -> tuple[bool, str]:
        """One attempt: (worth retrying, what went wrong), with an empty problem on success."""
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            TIMESTAMP_HEADER: timestamp,
            DELIVERY_HEADER: delivery,
        }
        if self.secret is not None:
            headers[SIGNATURE_HEADER] = sign(self.secret, timestamp, body)
        try:
            response = client.post(self.url, content=body, headers=headers)
        except httpx.TimeoutException:
            return True, f"no answer within {self.timeout_s:g} s"
        except httpx.TransportError as error:
            return True, f"cannot connect: {error or type(error).__name__}"
        if response.is_success:
            return False, ""
        status = response.status_code
        problem = f"HTTP {status}: {response.text[:200]!r}"
        return status >= 500 or status in _RETRY_STATUSES, problem


class LogSink:
    """Writes one line per case to the log (no transcript or contact details: they are
    personal data). Urgent cases are logged as warnings."""

    def __init__(self, logger: logging.Logger | None = None, level: int = logging.INFO) -> None:
        self._logger = logger or _log
        self._level = level

    def deliver(self, case: Case) -> None:
        packet = case.packet
        self._logger.log(
            max(self._level, logging.WARNING) if packet.urgent else self._level,
            "handoff case %d (%s) for conversation %s: %s%s, decided by %s (score %.2f, policy %s)",
            case.id,
            case.state,
            case.conversation_id,
            packet.label,
            ", urgent" if packet.urgent else "",
            packet.reason,
            packet.score,
            packet.policy_version,
        )


class FanOutSink:
    """Delivers to every sink in turn; one failing does not stop the others.

    The failures are logged and then raised together as one `HandoffDeliveryError`.
    """

    def __init__(self, sinks: Sequence[HandoffSink], logger: logging.Logger | None = None) -> None:
        self.sinks = tuple(sinks)
        self._logger = logger or _log

    def deliver(self, case: Case) -> None:
        errors: list[Exception] = []
        for sink in self.sinks:
            try:
                sink.deliver(case)
            except Exception as error:  # any sink's failure must not starve the others
                self._logger.warning(
                    "handoff sink %s failed for case %d: %s", type(sink).__name__, case.id, error
                )
                errors.append(error)
        if errors:
            details = "; ".join(f"{type(e).__name__}: {e}" for e in errors)
            raise HandoffDeliveryError(
                f"{len(errors)} of {len(self.sinks)} handoff sinks failed for case {case.id}: "
                f"{details}",
                tuple(errors),
            )
