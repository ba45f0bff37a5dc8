"""Connecting to Chroma: a server at `KB_CHROMA_URL` (`HttpClient`) when one is set, else the
embedded index in the data directory (`PersistentClient`), with telemetry off either way.

The client is handed to `ChromaIndex` (`index.chroma`), which never builds one itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from kb_assistant.core.errors import UnavailableError
from kb_assistant.settings import ConfigurationError


class IndexUnavailableError(UnavailableError, RuntimeError):
    """The Chroma server cannot be reached (it may come up later: servers retry)."""


def chroma_client(url: str | None, path: Path) -> Any:
    """A Chroma client: a server at `url` when given, else embedded at `path`."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    if url:
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ConfigurationError(f"KB_CHROMA_URL must look like http://host:8000, got {url!r}")
        port = parsed.port or (443 if parsed.scheme == "https" else 8000)
        try:
            return chromadb.HttpClient(
                host=parsed.hostname, port=port, ssl=parsed.scheme == "https", settings=settings
            )
        except ValueError as error:  # chromadb's "Could not connect to a Chroma server"
            raise IndexUnavailableError(
                f"no Chroma server answers at KB_CHROMA_URL={url!r} ({error}); start one with "
                "`chroma run --path DIR --host 127.0.0.1 --port 8000`, or unset KB_CHROMA_URL "
                "to use the embedded index in the data directory"
            ) from error
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=settings)
