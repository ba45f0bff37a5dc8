"""The web chat's HTTP API (FastAPI): customer endpoints, admin endpoints, operations and the
widget's files. `create_app(settings)` builds it; `kb-assistant serve` runs it."""

from __future__ import annotations

from kb_assistant.api.app import create_app

__all__ = ["create_app"]
