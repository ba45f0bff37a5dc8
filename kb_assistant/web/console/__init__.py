"""The operator console's presentation: HTML templates, server-drawn SVG charts, styles.

`render(template, **context)` turns the read models of `kb_assistant.insights` into pages;
`STATIC_DIR` holds `console.css`, served at `/console/static/`. The pages need no
JavaScript and carry no inline styles or scripts, so they work under a strict
Content-Security-Policy (`default-src 'self'`).
"""

from kb_assistant.web.console.render import STATIC_DIR, TEMPLATES_DIR, render

__all__ = ["STATIC_DIR", "TEMPLATES_DIR", "render"]
