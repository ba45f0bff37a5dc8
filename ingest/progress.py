"""Progress reporting for long work: a bar on a terminal, silence elsewhere."""

from __future__ import annotations

import sys
from typing import Any, Protocol


class Progress(Protocol):
    """Receives progress of one phase at a time (reading files, embedding chunks)."""

    def start(self, phase: str, total: int, unit: str) -> None: ...

    def advance(self, n: int = 1) -> None: ...

    def note(self, text: str) -> None:
        """Show a short status next to the bar (chunks embedded so far, say)."""
        ...

    def finish(self) -> None: ...


class NoProgress:
    """Reports nothing (non-interactive runs, tests, `--json`)."""

    def start(self, phase: str, total: int, unit: str) -> None:
        return None

    def advance(self, n: int = 1) -> None:
        return None

    def note(self, text: str) -> None:
        return None

    def finish(self) -> None:
        return None


class TerminalProgress:
    """A tqdm bar per phase, on standard error."""

    def __init__(self) -> None:
        self._bar: Any = None

    def start(self, phase: str, total: int, unit: str) -> None:
        from tqdm import tqdm

        self.finish()
        self._bar = tqdm(total=total, desc=phase, unit=f" {unit}", file=sys.stderr, leave=False)

    def advance(self, n: int = 1) -> None:
        if self._bar is not None:
            self._bar.update(n)

    def note(self, text: str) -> None:
        if self._bar is not None:
            self._bar.set_postfix_str(text)

    def finish(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def progress_for(interactive: bool) -> Progress:
    """A terminal bar when a person watches standard error, else nothing."""
    return TerminalProgress() if interactive and sys.stderr.isatty() else NoProgress()
