"""Folders an embedded Chroma leaves behind when collections are deleted.

Embedded Chroma (1.x) keeps each collection's vectors in a folder named after the collection's
vector segment (a UUID) beside its catalogue, `chroma.sqlite3`. Deleting a collection removes
it from the catalogue but leaves that folder on disk, so every deleted index version would
leave two folders behind (a public and an internal collection) and the disk would fill up
rebuild after rebuild.

This removes such folders, and only those: a folder is removed when its name is a UUID, it
holds nothing but plain files, and no segment of Chroma's own catalogue has that id, so the
folders of every existing collection (the live version's, the kept versions') stay. Call it
only while holding the index lease, so that no collection is being created meanwhile. A
Chroma server manages its own disk: this is for the embedded index only.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import uuid
from contextlib import closing
from pathlib import Path

log = logging.getLogger(__name__)

CATALOGUE = "chroma.sqlite3"


def known_segments(path: Path) -> set[str] | None:
    """Ids of the segments in Chroma's catalogue at `path`; None when it cannot be read (then
    nothing may be removed)."""
    catalogue = path / CATALOGUE
    if not catalogue.is_file():
        return None
    uri = catalogue.resolve().as_uri() + "?mode=ro"
    try:
        with closing(sqlite3.connect(uri, uri=True, timeout=10)) as connection:
            rows = connection.execute("SELECT id FROM segments").fetchall()
    except sqlite3.Error as error:
        log.warning("cannot read Chroma's catalogue %s (%s); no folder removed", catalogue, error)
        return None
    return {str(row[0]).lower() for row in rows}


def orphan_segment_folders(path: Path) -> list[Path]:
    """Segment folders at `path` whose segment is no longer in Chroma's catalogue."""
    known = known_segments(path)
    if known is None or not path.is_dir():
        return []
    return [
        folder
        for folder in sorted(path.iterdir())
        if _is_segment_folder(folder) and folder.name.lower() not in known
    ]


def remove_orphan_segment_folders(path: Path) -> list[str]:
    """Remove the folders of deleted collections at `path`; returns their names."""
    removed = []
    for folder in orphan_segment_folders(path):
        try:
            shutil.rmtree(folder)
        except OSError as error:  # tried again by the next job
            log.warning("could not remove %s: %s", folder, error)
            continue
        removed.append(folder.name)
    if removed:
        log.info("removed %d folders of deleted Chroma collections in %s", len(removed), path)
    return removed


def _is_segment_folder(folder: Path) -> bool:
    """A real folder named by a UUID, holding only plain files (as Chroma's HNSW folders do)."""
    if folder.is_symlink() or not folder.is_dir():
        return False
    try:
        canonical = str(uuid.UUID(folder.name)) == folder.name.lower()
    except ValueError:
        return False
    if not canonical:
        return False
    return all(entry.is_file() and not entry.is_symlink() for entry in folder.iterdir())
