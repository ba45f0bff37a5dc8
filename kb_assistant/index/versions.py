"""Index versions: which builds of the index exist, which one is live, and the switch.

A version is one complete index: its Chroma collections (`<prefix>-v<N>-public|internal`), its
keyword index folder and its manifest (a SQLite file in the version's folder), all named in
its row. Incremental runs update the live version in place; a full rebuild writes a new
version while the live one keeps serving, and only a version that passed the quality gate
becomes live. The switch is one transaction on the `index_live` row; every process reads
that row (in the index database, `KB_INDEX_DATABASE_URL`) and follows it within seconds.

A data directory indexed before versions existed is adopted as version 0, in place: its
collections `<prefix>-public|internal`, its `bm25` folder and the manifest tables of the
main database.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, cast

from sqlalchemy import JSON, DateTime, Engine, Integer, String, Text, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from kb_assistant.core.errors import UsageError
from kb_assistant.storage.db import Base

VersionState = Literal["building", "ready", "live", "refused", "failed", "retired"]
VERSION_STATES: tuple[VersionState, ...] = (
    "building",
    "ready",
    "live",
    "refused",
    "failed",
    "retired",
)
LEGACY_VERSION = 0


class VersionError(UsageError):
    """A step on versions that cannot be taken (no such version, one that is not built)."""


@dataclass(frozen=True)
class IndexVersion:
    """One build of the index and where its parts live."""

    id: int
    state: VersionState
    collection_prefix: str
    keyword_dir: Path
    manifest_url: str
    created_at: datetime
    finished_at: datetime | None = None
    live_since: datetime | None = None
    mode: str = "full"
    chunks: dict[str, int] = field(default_factory=dict)
    gate: dict[str, Any] | None = None
    note: str | None = None

    @property
    def name(self) -> str:
        return f"v{self.id}"

    def as_json(self) -> dict[str, Any]:
        return {
            "version": self.name,
            "state": self.state,
            "created_at": self.created_at.isoformat(),
            "finished_at": None if self.finished_at is None else self.finished_at.isoformat(),
            "live_since": None if self.live_since is None else self.live_since.isoformat(),
            "mode": self.mode,
            "chunks": dict(self.chunks),
            "gate": self.gate,
            "note": self.note,
            "collections": self.collection_prefix,
            "keyword_dir": str(self.keyword_dir),
        }


class IndexVersionRow(Base):
    __tablename__ = "index_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    collection_prefix: Mapped[str] = mapped_column(String(64))
    keyword_dir: Mapped[str] = mapped_column(Text)
    manifest_url: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    live_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    mode: Mapped[str] = mapped_column(String(16), default="full")
    chunks: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    gate: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)


class IndexLiveRow(Base):
    """The one row saying which version serves."""

    __tablename__ = "index_live"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(Integer)
    switched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


MAIN_DATABASE = "main"


class VersionRegistry:
    """Versions and the live pointer, in the index database.

    New versions keep their keyword index and manifest in `<data_dir>/index/v<N>/` and name
    their collections `<prefix>-v<N>-…`. Rows store those places relative to the data
    directory (a copied data directory stays self-contained); the legacy version's manifest
    is the main database (`main_url`).
    """

    def __init__(self, engine: Engine, data_dir: Path, prefix: str, main_url: str) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self.data_dir = data_dir
        self.root = data_dir / "index"
        self.prefix = prefix
        self.main_url = main_url

    # --- reading -----------------------------------------------------------------------

    def live_id(self) -> int | None:
        """The live version's id (one indexed lookup: cheap enough to poll)."""
        with self._sessions() as session:
            return session.scalar(select(IndexLiveRow.version_id).where(IndexLiveRow.id == 1))

    def live(self) -> IndexVersion | None:
        live_id = self.live_id()
        return None if live_id is None else self.get(live_id)

    def get(self, version_id: int) -> IndexVersion:
        with self._sessions() as session:
            row = session.get(IndexVersionRow, version_id)
            if row is None:
                raise VersionError(f"there is no index version v{version_id}")
            return self._version(row)

    def all(self) -> list[IndexVersion]:
        """Every version, newest first."""
        with self._sessions() as session:
            rows = session.scalars(select(IndexVersionRow).order_by(IndexVersionRow.id.desc()))
            return [self._version(row) for row in rows]

    # --- changing ----------------------------------------------------------------------

    def adopt_legacy(self) -> IndexVersion:
        """Register an index built before versions existed (collections `<prefix>-…`, the
        `bm25` folder, the main database's manifest) as live version 0, in place."""
        now = utcnow()
        with self._sessions.begin() as session:
            row = session.get(IndexVersionRow, LEGACY_VERSION)
            if row is None:
                row = IndexVersionRow(
                    id=LEGACY_VERSION,
                    state="live",
                    collection_prefix=self.prefix,
                    keyword_dir="bm25",
                    manifest_url=MAIN_DATABASE,
                    created_at=now,
                    finished_at=now,
                    live_since=now,
                    mode="adopted",
                    chunks={},
                    note="index built before versions existed, adopted in place",
                )
                session.add(row)
                session.flush()
            if session.get(IndexLiveRow, 1) is None:
                session.add(IndexLiveRow(id=1, version_id=row.id, switched_at=now))
            return self._version(row)

    def create(self, mode: str = "full") -> IndexVersion:
        """A new, empty version in state `building`, with its folder created."""
        with self._sessions.begin() as session:
            highest = session.scalar(select(IndexVersionRow.id).order_by(IndexVersionRow.id.desc()))
            version_id = max(highest or 0, LEGACY_VERSION) + 1
            folder = self.root / f"v{version_id}"
            folder.mkdir(parents=True, exist_ok=True)
            row = IndexVersionRow(
                id=version_id,
                state="building",
                collection_prefix=f"{self.prefix}-v{version_id}",
                keyword_dir=f"index/v{version_id}/bm25",
                manifest_url=f"index/v{version_id}/manifest.sqlite3",
                created_at=utcnow(),
                mode=mode,
                chunks={},
            )
            session.add(row)
            session.flush()
            return self._version(row)

    def finish(
        self,
        version_id: int,
        state: VersionState,
        *,
        chunks: dict[str, int] | None = None,
        gate: dict[str, Any] | None = None,
        note: str | None = None,
    ) -> IndexVersion:
        """Record how a build ended (`ready`, `refused`, `failed`) with its counts and gate."""
        with self._sessions.begin() as session:
            row = _row(session, version_id)
            row.state, row.finished_at = state, utcnow()
            if chunks is not None:
                row.chunks = dict(chunks)
            if gate is not None:
                row.gate = gate
            if note is not None:
                row.note = note
            return self._version(row)

    def record_counts(self, version_id: int, chunks: dict[str, int]) -> None:
        """Update a version's chunk counts (after an incremental run on the live version)."""
        with self._sessions.begin() as session:
            _row(session, version_id).chunks = dict(chunks)

    def switch(self, version_id: int) -> IndexVersion:
        """Make a built version live, in one transaction; the previous live one is retired."""
        now = utcnow()
        with self._sessions.begin() as session:
            row = _row(session, version_id)
            if row.state not in ("ready", "retired", "live"):
                raise VersionError(
                    f"v{version_id} is {row.state}: only a version that was built completely "
                    "(ready, or retired by a later switch) can go live"
                )
            pointer = session.get(IndexLiveRow, 1)
            if pointer is not None and pointer.version_id != version_id:
                session.execute(
                    update(IndexVersionRow)
                    .where(IndexVersionRow.id == pointer.version_id)
                    .values(state="retired")
                )
            if pointer is None:
                session.add(IndexLiveRow(id=1, version_id=version_id, switched_at=now))
            else:
                pointer.version_id, pointer.switched_at = version_id, now
            row.state, row.live_since = "live", now
            return self._version(row)

    def forget(self, version_id: int) -> None:
        """Remove a version's row (after its data was deleted); never the live one."""
        with self._sessions.begin() as session:
            if self._live_in(session) == version_id:
                raise VersionError(f"v{version_id} is live: switch to another version first")
            row = session.get(IndexVersionRow, version_id)
            if row is not None:
                session.delete(row)

    def abandoned(self) -> list[IndexVersion]:
        """Versions left in `building` (by a job that died); call only while holding the lease."""
        return [v for v in self.all() if v.state == "building"]

    def remove_folder(self, version: IndexVersion) -> None:
        """Delete the version's own folder (keyword index, manifest), if it has one."""
        folder = self.root / version.name
        if version.id != LEGACY_VERSION and folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)

    def _version(self, row: IndexVersionRow) -> IndexVersion:
        return _version(row, self.data_dir, self.main_url)

    @staticmethod
    def _live_in(session: Session) -> int | None:
        return session.scalar(select(IndexLiveRow.version_id).where(IndexLiveRow.id == 1))


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _row(session: Session, version_id: int) -> IndexVersionRow:
    row = session.get(IndexVersionRow, version_id)
    if row is None:
        raise VersionError(f"there is no index version v{version_id}")
    return row


def manifest_url(stored: str, data_dir: Path, main_url: str) -> str:
    """The database URL of a manifest as the registry stores it: the main database's for
    the index adopted from before versions existed, else a SQLite file in the data folder."""
    return main_url if stored == MAIN_DATABASE else f"sqlite:///{(data_dir / stored).resolve()}"


def _version(row: IndexVersionRow, data_dir: Path, main_url: str) -> IndexVersion:
    manifest = manifest_url(row.manifest_url, data_dir, main_url)
    return IndexVersion(
        id=row.id,
        state=cast(VersionState, row.state),
        collection_prefix=row.collection_prefix,
        keyword_dir=data_dir / row.keyword_dir,
        manifest_url=manifest,
        created_at=as_utc(row.created_at),
        finished_at=None if row.finished_at is None else as_utc(row.finished_at),
        live_since=None if row.live_since is None else as_utc(row.live_since),
        mode=row.mode,
        chunks=dict(row.chunks or {}),
        gate=row.gate,
        note=row.note,
    )
