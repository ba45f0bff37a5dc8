"""The command line, end to end with the real model, Chroma, BM25 and SQLite."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kb_assistant.cli import build_parser, main
from tests.conftest import DEMO_KB, REPO_ROOT


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def kb(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the demo knowledge base, and KB_DATA_DIR pointing into tmp."""
    monkeypatch.setenv("KB_DATA_DIR", str(clean_env / "data"))
    copy = clean_env / "kb"
    shutil.copytree(DEMO_KB, copy)
    return copy


def test_ingest_rerun_status_and_ask(kb: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "ingest", str(kb), "--json")
    first = json.loads(out)
    assert code == 0, first["errors"]
    assert set(first) >= {"documents", "chunks_embedded", "errors", "seconds"}
    assert set(first["documents"]) == {"seen", "added", "updated", "unchanged", "deleted", "failed"}
    assert first["documents"]["added"] == first["documents"]["seen"] > 90
    assert first["chunks_embedded"] > 100

    code, out, _ = run_cli(capsys, "ingest", str(kb), "--json")
    again = json.loads(out)
    assert code == 0 and again["chunks_embedded"] == 0
    assert again["documents"]["unchanged"] == first["documents"]["seen"]

    code, out, _ = run_cli(capsys, "status", "--json")
    status = json.loads(out)
    kinds = {(row["kind"], row["visibility"]) for row in status["documents"]}
    assert kinds == {("faq", "public"), ("pdf", "public"), ("ticket", "internal")}
    assert status["indexes"]["public"]["vectors"] == status["indexes"]["public"]["keyword"] > 50
    assert status["last_run"]["chunks_embedded"] == 0

    code, out, _ = run_cli(capsys, "ask", "How long do I have to return a lamp?", "--json")
    answer = json.loads(out)
    assert code == 0 and answer["action"] == "answer" and 0.5 < answer["confidence"] <= 1
    assert "30 days" in answer["answer"] and "Sources:" in answer["answer"]
    assert answer["citations"] and all(c["visibility"] == "public" for c in answer["citations"])
    assert all(c["title"] and c["location"] for c in answer["citations"])


def test_agent_channel_also_sees_tickets(kb: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(capsys, "ingest", str(kb / "tickets"), str(kb / "faq"), "--json")
    question = "floor lamp flickers and buzzes when dimmed"

    _, out, _ = run_cli(capsys, "ask", question, "--channel", "agent", "--json", "-k", "8")
    agent = json.loads(out)
    _, out, _ = run_cli(capsys, "ask", question, "--json", "-k", "8")
    customer = json.loads(out)

    assert any(c["visibility"] == "internal" for c in agent["citations"])
    assert "[1]" in agent["answer"]  # agents see citation numbers and excerpts
    assert all(c["visibility"] == "public" for c in customer["citations"])


def test_pdf_passages_cite_pages(kb: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(capsys, "ingest", str(kb / "manuals"))

    _, out, _ = run_cli(capsys, "ask", "How do I descale the kettle?", "--json", "-k", "3")
    top = json.loads(out)["citations"][0]

    assert top["location"].startswith("kettle-quick-start.pdf, p") and top["page_start"] >= 1


def test_partial_failure_exits_1_and_keeps_the_rest(
    kb: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (kb / "faq" / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj <<>> garbage")
    (kb / "faq" / "latin1.csv").write_bytes(
        "question,answer\nCafé?,Oui très bien\n".encode("cp1252")
    )

    code, out, _ = run_cli(capsys, "ingest", str(kb / "faq"), "--json")
    report = json.loads(out)

    assert code == 1
    assert report["documents"]["failed"] == 2
    assert report["documents"]["added"] > 50
    errors = {Path(e["source"]).name.split(":")[0]: e["error"] for e in report["errors"]}
    assert set(errors) == {"broken.pdf", "latin1.csv"}
    assert "--encoding" in errors["latin1.csv"]


def test_text_report_lists_errors(kb: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (kb / "faq" / "bad.json").write_text("{not json")

    code, out, _ = run_cli(capsys, "ingest", str(kb / "faq"))

    assert code == 1
    assert "1 failed" in out and "bad.json" in out


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["ingest", "does-not-exist"], {}, "no such file or folder"),
        (["ingest", "."], {"KB_CHUNK_OVERLAP": "500"}, "KB_CHUNK_OVERLAP"),
        (["status"], {"KB_CHROMA_URL": "localhost:8000"}, "KB_CHROMA_URL"),
        (["ask", "hi"], {"KB_EMBEDDING_DTYPE": "float8"}, "KB_EMBEDDING_DTYPE"),
    ],
)
def test_usage_and_configuration_errors_exit_2(
    kb: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str],
    message: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    code, _, err = run_cli(capsys, *args)

    assert code == 2
    assert message in err and err.startswith("kb-assistant: error:")


def test_bad_option_value_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["ingest", "x", "--visibility", "secret"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_help_documents_every_command() -> None:
    parser = build_parser()
    top = parser.format_help()
    for command in ("ingest", "status", "ask"):
        assert command in top
    ingest_help = subprocess.run(
        [sys.executable, "-m", "kb_assistant", "ingest", "--help"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO_ROOT,
    ).stdout
    for option in ("--visibility", "--kind", "--data-dir", "--full", "--json"):
        assert option in ingest_help


def test_eval_calibrate_fits_the_gate_for_this_index_and_prints_the_tradeoff(
    kb: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, "ingest", str(kb / "faq"), "--json")[0] == 0
    answerable = tmp_path / "answerable.jsonl"
    uncovered = tmp_path / "uncovered.jsonl"
    rows = [
        ("how do i send something back", ["How do I return an item?"]),
        ("whats the delivery charge", ["How much does shipping cost?"]),
        ("forgot my password", ["How do I reset my password?"]),
        ("can i pay with paypal", []),
        ("where is my parcel", ["How do I track my parcel?"]),
        ("can i change my order", ["Can I change or cancel my order?"]),
    ]
    answerable.write_text(
        "".join(json.dumps({"question": q, "expected_titles": t}) + "\n" for q, t in rows)
    )
    uncovered.write_text(
        "".join(
            json.dumps({"question": q}) + "\n"
            for q in (
                "is there a store in leeds",
                "who won the match",
                "do you sell cars",
                "can i book a sofa fitting",
                "whats the weather",
                "do you price match",
            )
        )
    )

    code, out, _ = run_cli(
        capsys,
        "eval",
        "calibrate",
        "--answerable",
        str(answerable),
        "--unanswerable",
        str(uncovered),
        "--wrong-cost",
        "3",
    )

    assert code == 0, out
    assert "confident-wrong" in out and "wrote" in out
    saved = json.loads((kb.parent / "data" / "gate_calibration.json").read_text())
    assert saved["report"]["wrong_cost"] == 3.0 and len(saved["report"]["tradeoff"]) == 19
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"question": "x", "expected_titles": "not a list"}) + "\n")
    code, _, err = run_cli(
        capsys, "eval", "calibrate", "--answerable", str(bad), "--unanswerable", str(uncovered)
    )
    assert code == 2 and "expected_titles" in err
