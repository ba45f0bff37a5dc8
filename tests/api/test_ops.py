"""Operations and the edges of the app: health, readiness, metrics, pages, headers, CORS."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from kb_assistant.api.app import create_app
from kb_assistant.api.pages import STATIC_DIR, static_file
from kb_assistant.api.security import CONTENT_SECURITY_POLICY
from kb_assistant.embedding import SentenceTransformerEmbedder
from kb_assistant.settings import Settings
from tests.api.conftest import ANSWERABLE, REFUND, AppFactory, Chat

SHOP = "https://shop.example.com"


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"index": "ok", "store": "ok"}}


def test_not_ready_while_the_index_is_unreachable(
    clean_env: Path, real_embedder: SentenceTransformerEmbedder
) -> None:
    settings = Settings(data_dir=clean_env / "data", chroma_url="http://127.0.0.1:9")
    with TestClient(create_app(settings, embedder=real_embedder)) as client:
        ready = client.get("/ready")
        health = client.get("/health")
        chat = Chat.start(client)
        message = client.post(f"{chat.url}/messages", json={"text": "hi"}, headers=chat.auth)

    assert ready.status_code == 503
    body = ready.json()
    assert body["status"] == "not_ready" and body["checks"]["store"] == "ok"
    assert body["checks"]["index"].startswith("unreachable")
    assert body["error"]["code"] == "not_ready"
    assert health.status_code == 200
    assert message.status_code == 503 and message.json()["error"]["code"] == "not_ready"
    assert chat.transcript()["messages"] == []


def test_metrics_count_requests_replies_and_escalations(client: TestClient) -> None:
    chat = Chat.start(client)
    chat.send(ANSWERABLE)
    chat.send(REFUND)

    response = client.get("/metrics")

    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    route = "/api/v1/conversations/{cid}/messages"
    assert f'kb_requests_total{{method="POST",route="{route}",status="200"}} 2.0' in text
    assert f'kb_request_seconds_count{{route="{route}"}} 2.0' in text
    assert 'kb_replies_total{action="answer"} 1.0' in text
    assert 'kb_replies_total{action="escalate"} 1.0' in text
    assert 'kb_escalations_total{policy_class="money_action"} 1.0' in text
    assert "kb_llm_tokens_total" in text  # declared; grows only with an LLM
    assert "c_" not in text  # ids never become labels


def test_each_app_counts_only_its_own_traffic(make_client: AppFactory) -> None:
    first, second = make_client(), make_client()
    first.get("/health")
    assert 'route="/health"' in first.get("/metrics").text
    assert 'route="/health"' not in second.get("/metrics").text


def test_the_demo_page_has_security_headers_and_a_strict_csp(client: TestClient) -> None:
    page = client.get("/")

    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert 'src="/widget.js"' in page.text


def test_the_widget_files_are_served_cacheable_with_their_types(client: TestClient) -> None:
    script, style = client.get("/widget.js"), client.get("/widget.css")

    assert script.headers["content-type"].startswith("text/javascript")
    assert style.headers["content-type"].startswith("text/css")
    assert "max-age" in script.headers["cache-control"]
    assert script.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in script.headers
    api = client.get("/health")
    assert api.headers["x-content-type-options"] == "nosniff"


def test_only_single_file_names_of_the_static_folder_are_served(tmp_path: Path) -> None:
    (tmp_path / "widget.js").write_text("//", encoding="utf-8")
    assert static_file("widget.js", tmp_path).status_code == 200
    for name in ("../settings.py", ".env", "widget.py", "missing.js", "a/b.js"):
        assert static_file(name, tmp_path).status_code == 404, name
    gone = static_file("widget.js", tmp_path / "absent")
    assert gone.status_code == 404 and b"not installed" in bytes(gone.body)
    assert STATIC_DIR.name == "static"


def test_cors_preflight_is_allowed_for_a_listed_origin_only(make_client: AppFactory) -> None:
    client = make_client(cors_origins=SHOP)
    asking = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization",
    }

    allowed = client.options("/api/v1/conversations", headers={"Origin": SHOP, **asking})
    refused = client.options(
        "/api/v1/conversations", headers={"Origin": "https://evil.example", **asking}
    )

    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == SHOP
    assert "POST" in allowed.headers["access-control-allow-methods"]
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert "access-control-allow-origin" not in refused.headers


def test_cors_headers_go_to_listed_origins_and_never_to_the_admin_api(
    make_client: AppFactory,
) -> None:
    client = make_client(cors_origins=SHOP, admin_api_key="k" * 24)

    listed = client.post("/api/v1/conversations", json={}, headers={"Origin": SHOP})
    other = client.post(
        "/api/v1/conversations", json={}, headers={"Origin": "https://evil.example"}
    )
    admin = client.get("/api/v1/admin/cases", headers={"Origin": SHOP, "X-API-Key": "k" * 24})

    assert listed.headers["access-control-allow-origin"] == SHOP
    assert "access-control-allow-origin" not in other.headers
    assert admin.status_code == 200 and "access-control-allow-origin" not in admin.headers


def test_the_openapi_document_lists_the_contract_paths(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/conversations",
        "/api/v1/conversations/{cid}/messages",
        "/api/v1/conversations/{cid}/events",
        "/api/v1/admin/cases/{case_id}/messages",
        "/ready",
    ):
        assert path in paths
    assert client.get("/docs").status_code == 200
