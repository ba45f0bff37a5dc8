"""The web chat's HTTP API (FastAPI): customer endpoints, admin endpoints, operations and the
widget's files. `kb_assistant.api.app.create_app(settings)` builds it; `kb-assistant serve`
runs it."""
