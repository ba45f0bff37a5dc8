"""Helpers shared by the sub-commands: settings from flags, error translation, output."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from kb_assistant.core.errors import EXIT_CODES, KbError
from kb_assistant.settings import Settings


class CliError(Exception):
    """A failure to report as one line on standard error, with an exit code."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def add_common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir", type=Path, help="data directory (default: KB_DATA_DIR or ./.kb-data)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def load_settings(args: argparse.Namespace) -> Settings:
    """Settings from the environment, with command-line flags taking precedence."""
    overrides: dict[str, Any] = {}
    if getattr(args, "data_dir", None) is not None:
        overrides["data_dir"] = args.data_dir
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"KB_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors()
        )
        raise CliError(f"invalid configuration: {problems}") from None


@contextmanager
def translated_errors() -> Iterator[None]:
    """Turn the product's errors into `CliError`s with their message and the exit code of
    their category (`kb_assistant.core.errors.EXIT_CODES`)."""
    try:
        yield
    except KbError as exc:
        raise CliError(str(exc), EXIT_CODES[exc.category]) from None


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=None, default=str)
    sys.stdout.write("\n")


Handler = Callable[[argparse.Namespace], int]
