"""Glob patterns of sources files, matched against absolute file paths."""

from __future__ import annotations

import functools
import re


def glob_match(path: str, pattern: str) -> bool:
    """Glob matching with `**` spanning folders and `*` staying inside one."""
    return _compile_glob(pattern).fullmatch(path) is not None


@functools.lru_cache(maxsize=64)
def _compile_glob(pattern: str) -> re.Pattern[str]:
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out))
