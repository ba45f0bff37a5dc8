"""Another website that embeds the chat widget: a second loopback origin with a strict CSP.

The widget is meant to be pasted into a company's own site, which may forbid everything its
policy does not name. This site allows scripts, styles and connections from the assistant's
origin only, so any inline script or style, or any other origin the widget reached for,
would be refused by the browser and reported.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Juniper Outdoor Living</title></head>
<body>
<h1>Juniper Outdoor Living</h1>
<p>Garden furniture from our partners. Questions? Ask our assistant.</p>
<script src="{api}/widget.js" data-title="Juniper help" data-greeting="Hi! Ask me anything."
  data-color="#2d6a4f" data-position="left" defer></script>
</body>
</html>
"""


class HostPage:
    """A tiny web server on its own loopback port serving one page that embeds the widget."""

    def __init__(self) -> None:
        self.api_url = ""
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.origin = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def csp(self) -> str:
        """The site's policy: nothing but the assistant's scripts, styles and API calls."""
        api = self.api_url
        return f"default-src 'none'; script-src {api}; style-src {api}; connect-src {api}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path != "/":
                    self.send_error(404)
                    return
                body = PAGE.format(api=site.api_url).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Security-Policy", site.csp())
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: the test output is not the place for an access log."""

        return Handler
