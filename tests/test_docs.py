"""The README is part of the product: it must document every setting and command."""

from __future__ import annotations

from kb_assistant.cli import build_parser
from kb_assistant.settings import Settings
from tests.conftest import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_starts_with_the_two_commands() -> None:
    top = "\n".join(README.splitlines()[:10])
    assert "make demo" in top and "make test" in top


def test_every_setting_is_documented() -> None:
    missing = [
        f"KB_{name.upper()}" for name in Settings.model_fields if f"KB_{name.upper()}" not in README
    ]
    assert not missing, f"settings missing from README: {missing}"


def test_every_command_is_documented() -> None:
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for command in commands:
        assert f"kb-assistant {command}" in README
