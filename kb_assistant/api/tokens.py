"""Short-lived conversation tokens: what the chat on a customer's page proves itself with.

No API key ever sits in a web page. Creating a conversation returns a token that names the
conversation and when it expires, signed with HMAC-SHA256 under a server secret:
`v1.<conversation id>.<expiry, unix seconds>.<signature>`. Checking it needs no database,
so any number of server processes sharing the secret accept each other's tokens.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kb_assistant.core.errors import UsageError
from kb_assistant.settings import ConfigurationError, Settings

log = logging.getLogger(__name__)

VERSION = "v1"
SECRET_FILE = "token_secret"
MIN_SECRET_CHARS = 16


class TokenError(UsageError):
    """The token is missing, malformed, tampered with or expired; the message says which."""


@dataclass(frozen=True)
class IssuedToken:
    """A token and the moment it stops being accepted."""

    conversation_id: str
    token: str
    expires_at: datetime

    def as_json(self) -> dict[str, str]:
        return {
            "conversation_id": self.conversation_id,
            "token": self.token,
            "expires_at": self.expires_at.isoformat().replace("+00:00", "Z"),
        }


class ConversationTokens:
    """Issues and checks conversation tokens signed with one secret."""

    def __init__(self, secret: bytes, ttl_s: int) -> None:
        if len(secret) < MIN_SECRET_CHARS:
            raise ConfigurationError(
                f"the token secret is {len(secret)} bytes long; use at least {MIN_SECRET_CHARS}"
            )
        self._secret = secret
        self.ttl_s = ttl_s

    def issue(self, conversation_id: str, now: float | None = None) -> IssuedToken:
        """A fresh token for the conversation, valid for the configured time."""
        expires = int(now if now is not None else time.time()) + self.ttl_s
        body = f"{VERSION}.{conversation_id}.{expires}"
        token = f"{body}.{self._sign(body)}"
        return IssuedToken(conversation_id, token, datetime.fromtimestamp(expires, UTC))

    def verify(self, token: str, now: float | None = None) -> tuple[str, int]:
        """The conversation the token is for and when it expires (unix seconds).

        Raises `TokenError` when it is malformed, its signature is wrong or it has expired.
        """
        parts = token.split(".")  # a token is ASCII: anything else was not issued here
        if not token.isascii() or len(parts) != 4 or parts[0] != VERSION:
            raise TokenError("the conversation token is malformed: start a new conversation")
        body = ".".join(parts[:3])
        if not hmac.compare_digest(self._sign(body).encode(), parts[3].encode()):
            raise TokenError("the conversation token is not valid: start a new conversation")
        try:
            expires = int(parts[2])
        except ValueError:
            raise TokenError(
                "the conversation token is malformed: start a new conversation"
            ) from None
        if expires <= (now if now is not None else time.time()):
            raise TokenError("the conversation token has expired: refresh it or start again")
        return parts[1], expires

    def _sign(self, body: str) -> str:
        mac = hmac.new(self._secret, body.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def token_secret(settings: Settings) -> bytes:
    """`KB_TOKEN_SECRET`, or the secret kept in the data directory (created once, mode 0600)."""
    if settings.token_secret is not None:
        secret = settings.token_secret.get_secret_value()
        if len(secret) < MIN_SECRET_CHARS:
            raise ConfigurationError(
                f"KB_TOKEN_SECRET is {len(secret)} characters long: use at least "
                f"{MIN_SECRET_CHARS} random characters (e.g. `openssl rand -hex 32`)"
            )
        return secret.encode()
    return _stored_secret(settings.data_dir / SECRET_FILE)


def _stored_secret(path: Path) -> bytes:
    """The secret in `path`, generated there first if there is none (safe between processes:
    the file is created exclusively, and a process that loses the race reads the winner's)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_secret(path)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secrets.token_hex(32))
    log.info("generated a conversation token secret in %s", path)
    return _read_secret(path)


def _read_secret(path: Path) -> bytes:
    for _ in range(50):  # another process may be between creating and writing the file
        secret = path.read_text().strip()
        if len(secret) >= MIN_SECRET_CHARS:
            if path.stat().st_mode & 0o077:
                os.chmod(path, 0o600)
            return secret.encode()
        time.sleep(0.02)
    raise ConfigurationError(
        f"{path} does not hold a token secret: delete it (a new one is generated) or set "
        "KB_TOKEN_SECRET"
    )
