"""One writer at a time: a lease on the index, kept in the index database.

Every job that writes the index (a re-index, `kb-assistant ingest`, the admin API's ingest
job, publishing an approved FAQ entry) holds the lease while it writes. The holder renews it
every few seconds; a second job is refused with who holds it and since when. A lease whose
holder died is taken over safely: at once when the holder was a process on this machine that
no longer exists, otherwise once its last renewal is older than the lease's time to live.
Taking over is a compare-and-swap on the holder's token, so two jobs can never both win.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, cast

from sqlalchemy import CursorResult, DateTime, Engine, Integer, String, delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from kb_assistant.core.errors import ConflictError
from kb_assistant.storage.db import Base
from kb_assistant.storage.processes import ProcessId, dead_here, this_process

WRITER_LEASE = "index-writer"
DEFAULT_TTL_S = 30.0


class LeaseHeldError(ConflictError, RuntimeError):
    """Another job holds the lease; the message says who, since when and what to do."""


class LeaseLostError(ConflictError, RuntimeError):
    """The lease was taken over while this job held it (it stalled past its time to live)."""


class LeaseRow(Base):
    __tablename__ = "index_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    token: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(200))
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    process_start: Mapped[str] = mapped_column(String(32))
    acquired_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    renewed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class Holder:
    """Who holds a lease."""

    token: str
    purpose: str
    host: str
    pid: int
    process_start: str
    acquired_at: datetime
    renewed_at: datetime

    def describe(self, now: datetime) -> str:
        age = (now - self.renewed_at).total_seconds()
        return (
            f"{self.purpose} (process {self.pid} on {self.host}, since "
            f"{self.acquired_at.isoformat(timespec='seconds')}, last renewed {age:.0f} s ago)"
        )


class IndexLease:
    """The writer lease; use `hold(purpose)` as a context manager."""

    def __init__(
        self, engine: Engine, name: str = WRITER_LEASE, ttl_s: float = DEFAULT_TTL_S
    ) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self.name = name
        self.ttl_s = ttl_s

    def holder(self) -> Holder | None:
        with self._sessions() as session:
            row = session.get(LeaseRow, self.name)
            return None if row is None else _holder(row)

    def hold(self, purpose: str, wait_s: float = 0.0) -> HeldLease:
        """Acquire the lease for `purpose`, waiting up to `wait_s`; `LeaseHeldError` if taken."""
        deadline = time.monotonic() + wait_s
        while True:
            token = self._try_acquire(purpose)
            if token is not None:
                return HeldLease(self, token, purpose)
            if time.monotonic() >= deadline:
                holder = self.holder()
                who = holder.describe(_now()) if holder else "another job"
                raise LeaseHeldError(
                    f"the index is being written by {who}; only one job may write at a time. "
                    "Wait for it to finish and run again (a job that died releases the lease "
                    f"within {self.ttl_s:.0f} s)"
                )
            time.sleep(min(0.5, max(0.05, deadline - time.monotonic())))

    def _try_acquire(self, purpose: str) -> str | None:
        token, now = uuid.uuid4().hex, _now()
        process = this_process()
        host, pid, started = process.host, process.pid, process.start
        fields = {
            "token": token,
            "purpose": purpose[:200],
            "host": host,
            "pid": pid,
            "process_start": started,
            "acquired_at": now,
            "renewed_at": now,
        }
        try:
            with self._sessions.begin() as session:
                session.add(LeaseRow(name=self.name, **fields))
            return token
        except IntegrityError:
            pass
        holder = self.holder()
        if holder is None or not self._stale(holder, now):
            return None
        with self._sessions.begin() as session:  # compare-and-swap on the dead holder's token
            taken = session.execute(
                update(LeaseRow)
                .where(LeaseRow.name == self.name, LeaseRow.token == holder.token)
                .values(**fields)
            )
            return token if _changed(taken) == 1 else None

    def _stale(self, holder: Holder, now: datetime) -> bool:
        if now - holder.renewed_at > timedelta(seconds=self.ttl_s):
            return True
        return dead_here(ProcessId(holder.host, holder.pid, holder.process_start))

    def renew(self, token: str) -> bool:
        with self._sessions.begin() as session:
            renewed = session.execute(
                update(LeaseRow)
                .where(LeaseRow.name == self.name, LeaseRow.token == token)
                .values(renewed_at=_now())
            )
            return _changed(renewed) == 1

    def release(self, token: str) -> None:
        with self._sessions.begin() as session:
            session.execute(
                delete(LeaseRow).where(LeaseRow.name == self.name, LeaseRow.token == token)
            )


class HeldLease:
    """A held lease, renewed in a background thread until released."""

    def __init__(self, lease: IndexLease, token: str, purpose: str) -> None:
        self.lease = lease
        self.token = token
        self.purpose = purpose
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew, name="kb-index-lease", daemon=True)
        self._thread.start()

    def check(self) -> None:
        """`LeaseLostError` when another job took the lease over (this one stalled)."""
        if self.lost:
            raise LeaseLostError(
                f"the index lease of {self.purpose} was taken over by another job after this "
                "one stopped renewing it; stopping without further writes"
            )

    def release(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        if not self.lost:
            self.lease.release(self.token)

    def __enter__(self) -> HeldLease:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()

    def _renew(self) -> None:
        interval = max(0.2, self.lease.ttl_s / 3)
        while not self._stop.wait(interval):
            try:
                if not self.lease.renew(self.token):
                    self.lost = True
                    return
            except Exception:  # the database is away for a moment: try again next time
                continue


def _changed(result: Any) -> int:
    """Rows an UPDATE changed."""
    return int(cast(CursorResult[Any], result).rowcount)


def _now() -> datetime:
    return datetime.now(UTC)


def _holder(row: LeaseRow) -> Holder:
    return Holder(
        token=row.token,
        purpose=row.purpose,
        host=row.host,
        pid=row.pid,
        process_start=row.process_start,
        acquired_at=_utc(row.acquired_at),
        renewed_at=_utc(row.renewed_at),
    )


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
