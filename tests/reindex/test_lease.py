"""The writer lease: one holder at a time, a clear refusal, safe takeover from a dead holder."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, update

from kb_assistant.index.lease import IndexLease, LeaseHeldError, LeaseLostError, LeaseRow
from tests.storage.engines import upgraded_engine


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return upgraded_engine(f"sqlite:///{tmp_path / 'kb.sqlite3'}", "registry")


def test_a_second_job_is_refused_with_who_holds_it(engine: Engine) -> None:
    lease = IndexLease(engine, ttl_s=30)
    with lease.hold("kb-assistant reindex sources.yaml"):
        with pytest.raises(LeaseHeldError) as refused:
            IndexLease(engine, ttl_s=30).hold("kb-assistant ingest")
        message = str(refused.value)
        assert "kb-assistant reindex sources.yaml" in message and "only one job" in message
    with lease.hold("the next job") as again:  # released on exit
        assert again.token


def test_a_lease_of_a_killed_process_on_this_machine_is_taken_over_at_once(
    engine: Engine, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'kb.sqlite3'}"
    script = (
        "import time, sys\n"
        "from pathlib import Path\n"
        "from kb_assistant.index.lease import IndexLease\n"
        "from kb_assistant.storage.databases import Databases\n"
        f"engine = Databases({url!r}, {url!r}, Path('.')).index_registry()\n"
        "held = IndexLease(engine, ttl_s=600).hold('a job that dies')\n"
        "print('held', flush=True)\n"
        "time.sleep(600)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "held"
        lease = IndexLease(engine, ttl_s=600)
        with pytest.raises(LeaseHeldError, match="a job that dies"):
            lease.hold("kb-assistant reindex")
        child.kill()
        child.wait(timeout=10)
        with lease.hold("kb-assistant reindex") as taken:  # no need to wait out 600 s
            holder = lease.holder()
            assert holder is not None and holder.token == taken.token
    finally:
        child.kill()


def test_a_lease_not_renewed_within_its_ttl_is_taken_over(engine: Engine) -> None:
    lease = IndexLease(engine, ttl_s=5)
    held = lease.hold("a job on another machine")
    held._stop.set()  # it stops renewing, as a frozen machine would
    with engine.begin() as connection:  # ...and it lives elsewhere: no pid to check here
        connection.execute(
            update(LeaseRow).values(
                host="another-machine", renewed_at=datetime.now(UTC) - timedelta(seconds=6)
            )
        )
    with lease.hold("the next job"):
        time.sleep(0.05)
    held.lost = not lease.renew(held.token)
    with pytest.raises(LeaseLostError):
        held.check()


def test_two_jobs_taking_over_a_dead_lease_at_once_cannot_both_win(engine: Engine) -> None:
    lease = IndexLease(engine, ttl_s=5)
    dead = lease.hold("dead job")
    dead._stop.set()
    with engine.begin() as connection:
        connection.execute(
            update(LeaseRow).values(
                host="elsewhere", renewed_at=datetime.now(UTC) - timedelta(seconds=60)
            )
        )
    winners: list[str] = []
    refused: list[str] = []

    def take(name: str) -> None:
        try:
            held = IndexLease(engine, ttl_s=5).hold(name)
            winners.append(held.token)
        except LeaseHeldError:
            refused.append(name)

    threads = [threading.Thread(target=take, args=(f"job {i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1 and len(refused) == 5
