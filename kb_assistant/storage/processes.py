"""Which process holds a piece of work, and whether that process still runs.

Work claimed by a process (an index lease, a customer's turn being answered) records the
process as host, pid and start time. On the same machine a dead holder is recognised at
once: its pid is gone, or reused by a process that started at another time. Elsewhere only
a time to live can tell.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ProcessId:
    """One running process: host name, pid and start time (clock ticks since boot)."""

    host: str
    pid: int
    start: str

    def key(self) -> str:
        """`host:pid:start`, the form stored beside claimed work."""
        return f"{self.host}:{self.pid}:{self.start}"

    @classmethod
    def parse(cls, key: str) -> ProcessId | None:
        """The process a stored key names; None for a key of another form."""
        host, _, rest = key.rpartition(":")
        host, _, pid = host.rpartition(":")
        if not host or not pid.isdigit():
            return None
        return cls(host, int(pid), rest)


def this_process() -> ProcessId:
    """This process."""
    return ProcessId(socket.gethostname(), os.getpid(), start_time(os.getpid()))


def start_time(pid: int) -> str:
    """When `pid` started, in clock ticks since boot ("" where unknown)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return ""
    return stat.rpartition(")")[2].split()[19]  # field 22: start time in clock ticks


def alive(pid: int, process_start: str) -> bool:
    """Whether the process `pid` (started at `process_start`) still runs on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not process_start or start_time(pid) in ("", process_start)


def dead_here(process: ProcessId) -> bool:
    """True when `process` ran on this machine and no longer does (never for other hosts)."""
    return process.host == socket.gethostname() and not alive(process.pid, process.start)
