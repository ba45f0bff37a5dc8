"""The health report's summary after a re-index: counts, and what is new since the last one.

A scheduled re-index is when a company's sources change, so it is when a new contradiction
(an edited FAQ that now disagrees with the policy PDF) should be noticed. After each job the
live index is checked (read only, no model loaded) and the summary is printed with the job's
report; the contradictions found are remembered in the data directory (`kb-health.json`, the
sentences' fingerprints only), so the next summary can say which are new.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb_assistant.composition.indexes import NothingIndexedError
from kb_assistant.composition.report import index_units, ingest_problems
from kb_assistant.kbreport.build import build_report
from kb_assistant.kbreport.contradictions import Contradiction

if TYPE_CHECKING:
    from kb_assistant.settings import Settings

HEALTH_FILE = "kb-health.json"
# Above this many chunks the summary is left to `kb-assistant kb report`, run on its own: the
# checks take about a second per thousand chunks, too long to add to every scheduled job.
MAX_UNITS = 20_000
log = logging.getLogger(__name__)


def fingerprint(contradiction: Contradiction) -> str:
    """The same pair of statements, whichever order they were found in."""
    sides = sorted(
        f"{m.doc_id}\x1f{' '.join(m.sentence.split())}"
        for m in (contradiction.first, contradiction.second)
    )
    return hashlib.sha256("\x1e".join(sides).encode("utf-8")).hexdigest()[:16]


def health_summary(settings: Settings) -> dict[str, Any] | None:
    """The live index's health counts, with the contradictions new since the last summary
    (all of them the first time); None when nothing is indexed, the index is over
    `MAX_UNITS` chunks, or the check fails (a re-index that worked must not fail because of
    its report)."""
    try:
        units = index_units(settings, "all")
        if len(units) > MAX_UNITS:
            log.info(
                "knowledge-base health summary skipped: %d chunks (over %d); run "
                "kb-assistant kb report",
                len(units),
                MAX_UNITS,
            )
            return None
        report = build_report(units, unreadable=ingest_problems(settings))
    except NothingIndexedError:
        return None
    except Exception as exc:  # the summary is advice; the job's own outcome stands
        log.warning("knowledge-base health check after the re-index failed: %s", exc)
        return None
    found = sorted({fingerprint(c) for c in report.contradictions})
    path = settings.data_dir / HEALTH_FILE
    previous = _remembered(path)
    new = [f for f in found if previous is None or f not in previous]
    _remember(path, found)
    counts = report.summary()
    return {
        "contradictions": counts["contradictions"],
        "new_contradictions": len(new),
        "duplicates": counts["duplicates"],
        "near_duplicates": counts["near_duplicates"],
        "unreadable": counts["unreadable"],
        "units": counts["units"],
    }


def summary_line(summary: dict[str, Any]) -> str:
    """One line for the job's text report."""
    return (
        f"Knowledge-base health: {summary['contradictions']} contradictions "
        f"({summary['new_contradictions']} new), {summary['duplicates']} duplicate groups, "
        f"{summary['near_duplicates']} near-duplicate pairs, {summary['unreadable']} unreadable "
        f"files or pages; details: kb-assistant kb report"
    )


def _remembered(path: Path) -> set[str] | None:
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable %s: %s", path, exc)
        return None
    return {str(f) for f in stored.get("contradictions", [])} if isinstance(stored, dict) else None


def _remember(path: Path, found: list[str]) -> None:
    """Written whole or not at all (a temporary file renamed over the old one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".kb-health-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump({"contradictions": found}, out)
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        log.warning("could not remember the health summary in %s: %s", path, exc)
