"""Browser tests: a real server, a real Chromium, the demo knowledge base.

One server runs for the whole folder (`kb-assistant serve` in a child process, on a free
loopback port) over a copy of the indexed demo knowledge base plus one FAQ entry carrying
markup, so that documents as well as messages are checked for script injection. A second
loopback origin serves a partner site with a strict CSP that embeds the widget.

Chromium is Debian's (`/usr/bin/chromium`, installed by `.ci/run`); Playwright downloads no
browser. Without it the folder is skipped.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from eval.server import ServerProcess
from kb_assistant.embedding import SentenceTransformerEmbedder
from kb_assistant.settings import Settings
from tests.browser.constants import ADMIN_KEY, CHROMIUM, CHROMIUM_ARGS, MARKUP_FAQ
from tests.browser.hostpage import HostPage
from tests.browser.widget import Widget


@pytest.fixture(scope="session", autouse=True)
def _chromium() -> None:
    if not CHROMIUM.exists():
        pytest.skip(
            f"browser tests need Chromium at {CHROMIUM} "
            "(`apt-get install chromium`; .ci/run installs it)"
        )


@pytest.fixture(scope="session")
def served_data_dir(
    demo_settings: Settings,
    real_embedder: SentenceTransformerEmbedder,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    """A private copy of the indexed demo knowledge base, plus the FAQ entry with markup."""
    from kb_assistant.composition import build_ingest_pipeline

    root = tmp_path_factory.mktemp("browser")
    data_dir = root / "data"
    shutil.copytree(demo_settings.data_dir, data_dir)
    faq = root / "markup-faq.json"
    faq.write_text(json.dumps(MARKUP_FAQ), encoding="utf-8")
    settings = demo_settings.model_copy(update={"data_dir": data_dir, "database_url": ""})
    report = build_ingest_pipeline(settings, embedder=real_embedder).run([faq], visibility="public")
    assert report.added == 1, f"the FAQ with markup was not indexed: {report.failures}"
    return data_dir


@pytest.fixture(scope="session")
def host_page() -> Iterator[HostPage]:
    """The partner site on its own origin (the API's address is filled in once known)."""
    site = HostPage()
    site.start()
    yield site
    site.stop()


@pytest.fixture(scope="session")
def api_url(served_data_dir: Path, host_page: HostPage) -> Iterator[str]:
    """Base URL of the running server; it trusts the partner site's origin (CORS)."""
    env = {"KB_ADMIN_API_KEY": ADMIN_KEY, "KB_CORS_ORIGINS": host_page.origin}
    with ServerProcess(served_data_dir, env) as server:
        host_page.api_url = server.url
        yield server.url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def widget(browser: Browser, api_url: str) -> Iterator[Widget]:
    """A fresh browser context (no stored conversation) on a desktop-sized window."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    yield Widget(context.new_page(), api_url)
    context.close()
