"""`kb-assistant serve`: the web chat API, the widget and its demo page, over HTTP (uvicorn)."""

from __future__ import annotations

import argparse
import errno
import socket
from pathlib import Path
from typing import Any

from kb_assistant.cli.common import CliError, load_settings, translated_errors
from kb_assistant.settings import Settings

GRACEFUL_SHUTDOWN_S = 5  # open event streams would otherwise hold a shutdown forever


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "serve",
        help="run the web chat API and widget",
        description="Serve the customer chat API (/api/v1), the admin API (/api/v1/admin, "
        "enabled by KB_ADMIN_API_KEY), /health, /ready, /metrics, the widget (/widget.js) "
        "and the demo help page (/). The model and indexes load once at start-up. One "
        "process; run several behind a proxy for more (they share the database and "
        "KB_TOKEN_SECRET); X-Forwarded-For counts only from the proxies in "
        "KB_TRUSTED_PROXIES. There is no auto-reload: restart to pick up code changes.",
    )
    parser.add_argument("--host", help="address to bind (default: KB_SERVER_HOST, 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, help="port to listen on (default: KB_SERVER_PORT, 8000)"
    )
    parser.add_argument(
        "--data-dir", type=Path, help="data directory (default: KB_DATA_DIR or ./.kb-data)"
    )
    parser.add_argument(
        "--log-level",
        choices=("critical", "error", "warning", "info", "debug"),
        default="info",
        help="server log level (default: info)",
    )
    parser.set_defaults(handler=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from kb_assistant.api.app import create_app
    from kb_assistant.cli.db import upgrade_on_start
    from kb_assistant.composition import configure_process

    settings = load_settings(args)
    host = args.host or settings.server_host
    port = settings.server_port if args.port is None else args.port
    if not 0 < port < 65536:
        raise CliError(f"--port must be between 1 and 65535, not {port}")
    check_port_free(host, port)
    configure_process(settings)
    with translated_errors():
        upgrade_on_start(settings)
        app = create_app(settings)
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level=args.log_level,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
            **proxy_options(settings),
        )
    return 0


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's proxy settings: `X-Forwarded-For` and `-Proto` believed only from the
    proxies in KB_TRUSTED_PROXIES, so that no client can name its own address (and so slip
    past the per-address rate limit). uvicorn's defaults would trust loopback."""
    if not settings.trusted_proxies:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": list(settings.trusted_proxies)}


def check_port_free(host: str, port: int) -> None:
    """Fail early, before the model loads, when the address is taken or cannot be bound."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise CliError(f"cannot listen on {host!r}: {exc.strerror}; check --host") from None
    family, kind, proto, _name, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise CliError(
                    f"port {port} on {host} is already in use: stop the other server or "
                    "choose another port with --port (or KB_SERVER_PORT)"
                ) from None
            raise CliError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
