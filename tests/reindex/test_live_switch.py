"""A running API server follows the live index version: after a full rebuild (by a real
`kb-assistant reindex` process) switches, the server answers from the new version within
5 seconds, without a restart, and it answers throughout; a rollback is followed the same way."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx

from eval.server import served_in_thread
from ingest.sources import load_sources_config
from kb_assistant.api.app import create_app
from kb_assistant.composition import build_lease, build_registry, build_reindex_job
from kb_assistant.embedding import SentenceTransformerEmbedder
from kb_assistant.policy import policy_cache_dir
from kb_assistant.settings import Settings

NEW_QUESTION = "Can I buy a spare glass globe for the Orla pendant light?"
NEW_FAQ = {
    "faqs": [
        {
            "id": "orla-globe",
            "question": NEW_QUESTION,
            "answer": "Yes. Spare glass globes for the Orla pendant light are sold on their "
            "own: search the shop for Orla globe and choose clear or frosted glass.",
        }
    ]
}
KNOWN_QUESTION = "How long does delivery take?"
SWITCH_WITHIN_S = 5.0


def ask(http: httpx.Client, question: str) -> dict[str, object]:
    chat = http.post("/api/v1/conversations", json={}).json()
    reply = http.post(
        f"/api/v1/conversations/{chat['conversation_id']}/messages",
        json={"text": question},
        headers={"Authorization": f"Bearer {chat['token']}"},
    )
    assert reply.status_code == 200, reply.text
    answer: dict[str, object] = reply.json()["reply"]
    return answer


def reindex_process(settings: Settings, config: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    env.update(KB_DATA_DIR=str(settings.data_dir), HF_HUB_OFFLINE="1", ANONYMIZED_TELEMETRY="False")
    command = [sys.executable, "-m", "kb_assistant", "reindex", "--config", str(config)]
    return subprocess.run(
        [*command, "--full", "--json"], env=env, capture_output=True, text=True, timeout=300
    )


def test_the_server_answers_from_a_new_version_within_seconds_of_the_switch(
    job_settings: Settings,
    real_embedder: SentenceTransformerEmbedder,
    kb_copy: Path,
    trained_policy: Path,
) -> None:
    shutil.copytree(trained_policy, policy_cache_dir(job_settings))  # no training at start-up
    sources = kb_copy / "sources.yaml"
    build_reindex_job(job_settings, embedder=real_embedder).run(load_sources_config(sources))
    settings = job_settings.model_copy(update={"rate_limit_client": "1000/60"})
    app = create_app(settings, embedder=real_embedder)
    with served_in_thread(app) as url, httpx.Client(base_url=url, timeout=60) as http:
        assert ask(http, NEW_QUESTION)["action"] == "dont_know"
        (kb_copy / "kb/faq/orla.json").write_text(json.dumps(NEW_FAQ), encoding="utf-8")

        job = reindex_process(job_settings, sources)
        switched_at = time.monotonic()
        assert job.returncode == 0, job.stderr
        assert json.loads(job.stdout)["live_after"] == "v2"

        waited = 0.0
        while ask(http, NEW_QUESTION)["action"] != "answer":
            waited = time.monotonic() - switched_at
            assert waited < SWITCH_WITHIN_S, f"not served {waited:.1f} s after the switch"
            time.sleep(0.2)
        assert ask(http, KNOWN_QUESTION)["action"] == "answer"

        registry = build_registry(job_settings)
        with build_lease(job_settings).hold("a rollback in a test"):
            registry.switch(1)  # a rollback, as `kb-assistant rollback` does it
        rolled_back_at = time.monotonic()
        while ask(http, NEW_QUESTION)["action"] != "dont_know":
            assert time.monotonic() - rolled_back_at < SWITCH_WITHIN_S, "rollback not followed"
            time.sleep(0.2)
