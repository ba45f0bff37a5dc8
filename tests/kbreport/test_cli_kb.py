"""`kb-assistant kb report` on a real index (model, Chroma, BM25, SQLite) in a temp folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kb_assistant.cli import main
from kb_assistant.settings import Settings


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_report_on_the_live_index(
    clean_env: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(capsys, "kb", "report", "--json", "--data-dir", str(data_dir))
    assert code == 0
    report = json.loads(out)
    assert report["summary"]["units"] >= 7 and report["summary"]["documents"] == 7
    found = [{s["value"] for s in c["statements"]} for c in report["contradictions"]]
    assert {"30 days", "28 days"} in found and {"£3.95", "£4.95"} in found
    assert {"£6.95"} not in [f & {"£6.95"} for f in found]  # express agrees
    assert len(report["contradictions"]) == 2
    [copies] = report["duplicates"]
    assert {u["location"].split(" ›")[0] for u in copies["units"]} == {"faq.csv", "policy.md"}
    assert report["html"] is None


def test_text_report_shows_both_sides(
    clean_env: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(capsys, "kb", "report", "--data-dir", str(data_dir))
    assert code == 0
    assert out.startswith("Knowledge base health:")
    assert "30 days vs 28 days" in out or "28 days vs 30 days" in out
    assert "within 30 days of delivery" in out and "within 28 days of delivery" in out
    assert "faq.csv › How long do I have to return an item?" in out
    assert "policy.md › What is the return window?" in out


def test_html_report_is_written_and_safe(
    clean_env: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = clean_env / "report.html"
    code, out, _ = run_cli(capsys, "kb", "report", "--html", str(page), "--data-dir", str(data_dir))
    assert code == 0 and f"HTML report written to {page}" in out
    html = page.read_text(encoding="utf-8")
    assert "<svg" in html and "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_visibility_and_reading_only(
    clean_env: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kb_assistant.composition import build_registry

    settings = Settings(data_dir=data_dir)
    before = [(v.id, v.state) for v in build_registry(settings).all()]
    code, out, _ = run_cli(
        capsys, "kb", "report", "--json", "--visibility", "internal", "--data-dir", str(data_dir)
    )
    assert code == 0 and json.loads(out)["summary"]["units"] == 0
    assert [(v.id, v.state) for v in build_registry(settings).all()] == before


def test_nothing_indexed_is_a_clear_error(
    clean_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(capsys, "kb", "report", "--data-dir", str(clean_env / "empty"))
    assert code == 2 and not out
    assert "nothing is indexed" in err and "kb-assistant ingest" in err


def test_after_a_reindex_the_summary_says_which_contradictions_are_new(
    data_dir: Path, tmp_path: Path
) -> None:
    import shutil

    from ingest.reindex_report import ReindexReport
    from kb_assistant.composition.health import HEALTH_FILE, health_summary, summary_line

    copy = tmp_path / "data"
    shutil.copytree(data_dir, copy)
    settings = Settings(data_dir=copy)

    first = health_summary(settings)
    again = health_summary(settings)
    (copy / HEALTH_FILE).write_text("{not json", encoding="utf-8")
    after_damage = health_summary(settings)

    assert first is not None and again is not None and after_damage is not None
    assert first["contradictions"] >= 2  # 30 vs 28 days, £3.95 vs £4.95
    assert first["new_contradictions"] == first["contradictions"]
    assert again["contradictions"] == first["contradictions"]
    assert again["new_contradictions"] == 0
    assert after_damage["new_contradictions"] == first["contradictions"]

    report = ReindexReport(mode="incremental", message="done", health=again)
    report.health_line = summary_line(again)
    assert "Knowledge-base health: " in report.to_text() and "(0 new)" in report.to_text()
    assert report.to_json()["health"] == again


def test_the_summary_is_skipped_when_nothing_is_indexed(tmp_path: Path) -> None:
    from kb_assistant.composition.health import health_summary

    assert health_summary(Settings(data_dir=tmp_path / "empty")) is None


def test_a_large_index_leaves_the_summary_to_the_report_command(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kb_assistant.composition import health

    monkeypatch.setattr(health, "MAX_UNITS", 1)
    assert health.health_summary(Settings(data_dir=data_dir)) is None
    assert not (data_dir / health.HEALTH_FILE).exists()
