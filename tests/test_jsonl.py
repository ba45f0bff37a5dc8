"""The shared JSON Lines reader: objects with their line numbers, and errors that say where."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb_assistant.jsonl import json_objects


class BadFile(Exception):
    pass


def test_objects_come_with_their_line_numbers_and_blank_lines_are_skipped(
    tmp_path: Path,
) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"a": 1}\n\n  \n{"b": "\xc3\xa9"}\n')

    assert list(json_objects(path, BadFile)) == [(1, {"a": 1}), (4, {"b": "é"})]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"a": 1}\n{not json\n', "rows.jsonl:2: not valid JSON"),
        (b'{"a": 1}\n[1, 2]\n', "rows.jsonl:2: expected a JSON object"),
        (b'{"a": 1}\n{"b": "\xe9"}\n', "rows.jsonl:2: not UTF-8 text"),
    ],
)
def test_a_bad_line_raises_the_callers_error_naming_the_line(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_bytes(content)

    with pytest.raises(BadFile, match=f"^{message}"):
        list(json_objects(path, BadFile, name="rows.jsonl"))
