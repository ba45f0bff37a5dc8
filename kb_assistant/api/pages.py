"""Our web pages and the widget: the files in `kb_assistant/web/static/`.

`/` is the demo help page, `/widget.js` and `/widget.css` the chat widget a host page embeds
with one script tag; any other file there is served by its name. HTML pages get a strict
Content-Security-Policy (no inline script or style); scripts and styles are cacheable.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, Response

import kb_assistant
from kb_assistant.api.errors import error_response
from kb_assistant.api.security import CONTENT_SECURITY_POLICY

STATIC_DIR = Path(kb_assistant.__file__).resolve().parent / "web" / "static"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*\.[A-Za-z0-9]{1,5}")
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".webp": "image/webp",
    ".woff2": "font/woff2",
}
CACHE_ASSETS = "public, max-age=3600"
CACHE_PAGES = "no-cache"

router = APIRouter(include_in_schema=False)


@router.api_route("/", methods=["GET", "HEAD"])
def demo_page() -> Response:
    """The demo help page with the widget on it."""
    return static_file("index.html")


@router.api_route("/{name}", methods=["GET", "HEAD"])
def static_asset(name: Annotated[str, PathParam(max_length=100)]) -> Response:
    """`/widget.js`, `/widget.css` and any other file of the static folder, by name."""
    return static_file(name)


def static_file(name: str, directory: Path = STATIC_DIR) -> Response:
    """The file `name` of `directory` (no sub-folders, no hidden files), or a JSON 404."""
    suffix = Path(name).suffix.lower()
    path = directory / name
    if not _NAME.fullmatch(name) or suffix not in _TYPES or not path.is_file():
        return error_response(404, _missing(name, directory))
    headers = {"Cache-Control": CACHE_PAGES if suffix == ".html" else CACHE_ASSETS}
    if suffix == ".html":
        headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        headers["X-Frame-Options"] = "SAMEORIGIN"
    return FileResponse(path, media_type=_TYPES[suffix], headers=headers)


def _missing(name: str, directory: Path) -> str:
    if name in ("index.html", "widget.js", "widget.css") and not directory.is_dir():
        return (
            f"the web chat files are not installed: {directory} is missing (reinstall the "
            "package, or check out kb_assistant/web/static)"
        )
    return f"no file {name!r} here: the chat widget is at /widget.js, the demo page at /"
