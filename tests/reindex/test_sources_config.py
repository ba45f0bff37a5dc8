"""The sources file: what a job reads, and a clear error for every mistake in it."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.sources import SourcesConfigError, load_sources_config
from tests.reindex.conftest import SOURCES


def test_the_demo_sources_file_lists_its_sources_gate_and_versions(kb_copy: Path) -> None:
    config = load_sources_config(kb_copy / "sources.yaml")

    names = [(spec.name, spec.kind, spec.visibility, spec.pattern) for spec in config.sources]
    assert names == [
        ("help-center", "faq", "public", None),
        ("manuals", "pdf", "public", str(kb_copy / "kb/manuals/*.pdf")),
        ("tickets", "ticket", "internal", None),
    ]
    assert config.sources[0].paths == (kb_copy / "kb/faq",)
    assert config.sources[1].paths == (kb_copy / "kb/manuals",)
    assert config.gate.golden_questions == kb_copy / "golden-questions.jsonl"
    assert (config.gate.k, config.gate.max_recall_drop, config.keep_versions) == (5, 0.05, 3)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("sources: [", "not valid YAML"),
        ("{}", "sources"),
        ("sources:\n  - name: a\n    paths: [kb/faq]\n    colour: red\n", "colour"),
        ("sources:\n  - name: a\n    paths: [nowhere]\n", "does not exist"),
        ("sources:\n  - name: a\n    connector: word\n    paths: [kb/faq]\n", "connector"),
        (
            "sources:\n  - {name: a, paths: [kb/faq]}\n  - {name: a, paths: [kb/tickets]}\n",
            "unique",
        ),
        (SOURCES.format(keep=0), "keep_versions"),
    ],
)
def test_a_mistake_in_the_sources_file_is_named(kb_copy: Path, text: str, says: str) -> None:
    path = kb_copy / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SourcesConfigError, match=says) as refused:
        load_sources_config(path)
    assert str(path) in str(refused.value)


def test_a_missing_or_undecodable_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(SourcesConfigError, match="no such sources file"):
        load_sources_config(tmp_path / "absent.yaml")
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("sources: [{name: caf\xe9}]".encode("latin-1"))
    with pytest.raises(SourcesConfigError, match="not UTF-8"):
        load_sources_config(latin)
