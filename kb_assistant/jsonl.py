"""Reading JSON Lines files: one JSON object per line, blank lines skipped, and a problem
reported with the file and line so the person who wrote the file can fix it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any


def json_objects(
    path: Path, error: Callable[[str], Exception], *, name: str | None = None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line of `path`.

    A line that is not JSON, not a JSON object or not UTF-8 raises `error("NAME:LINE: …")`,
    where NAME is `name` or the path.
    """
    where = name or str(path)
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")  # a BOM is fine
            except UnicodeDecodeError:
                raise error(f"{where}:{number}: not UTF-8 text") from None
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise error(f"{where}:{number}: not valid JSON ({exc.msg})") from None
            if not isinstance(row, dict):
                raise error(f"{where}:{number}: expected a JSON object")
            yield number, row
