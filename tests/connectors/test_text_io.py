"""Text helpers every connector shares: tidying keeps structure and copes with huge lines."""

from __future__ import annotations

import pytest

from connectors.text_io import collapse_spaces, tidy_text


def test_tidy_text_joins_soft_wraps_and_keeps_paragraphs_lists_and_code() -> None:
    text = (
        "Open the   lid\nand fill it.\r\n\n\n- one\n- two\n  wrapped\n"
        "```\n  code   stays\n```\nlast\tline "
    )

    assert tidy_text(text) == (
        "Open the lid and fill it.\n\n- one\n- two wrapped\n```\n  code   stays\n```\nlast line"
    )


@pytest.mark.parametrize("block", [1, 2, 3, 5, 1 << 20])
def test_collapse_spaces_is_split_and_join_whatever_the_block(block: int) -> None:
    text = "  a  b\t\tc \u3000 d\x1ce  f   gh  "

    assert collapse_spaces(text, block) == " ".join(text.split()) == "a b c d e f gh"


def test_a_paragraph_of_many_wrapped_lines_is_tidied_in_linear_time() -> None:
    lines = [f"word{number}  and more" for number in range(100_000)]

    tidied = tidy_text("\n".join(lines))

    assert tidied == " ".join(line.replace("  ", " ") for line in lines)
