"""What the browser tests' server and browser are set up with."""

from __future__ import annotations

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ADMIN_KEY = "browser-tests-admin-key"

# An FAQ entry whose question, answer and link carry script: whatever a knowledge base holds
# must reach the customer's screen as text, never as markup or a `javascript:` link.
MARKUP_QUESTION = "How do I care for the Juniper teak bench?"
MARKUP_FAQ = [
    {
        "question": "How do I care for the Juniper teak bench <img src=x onerror=alert(1)>?",
        "answer": "Oil the Juniper teak bench twice a year with teak oil "
        "<script>alert(2)</script> and keep it covered in winter. "
        "Wipe spills at once with a damp cloth.",
        "url": "javascript:alert(3)",
    }
]
