"""Block Kit building: knowledge-base text cannot ping or link, long answers fit Slack."""

from __future__ import annotations

from kb_assistant.core.replies import Answer
from kb_assistant.slack import answer_blocks, escape, question_from, split_text
from kb_assistant.slack.blocks import MAX_BLOCKS, MAX_SECTION_CHARS, pages


def test_escape_neutralises_mentions_and_links() -> None:
    text = escape("Hi <!channel> see <https://evil.example|here> & <@U1>")
    assert "<" not in text and ">" not in text
    assert "&lt;!channel&gt;" in text and "&amp;" in text


def test_long_answers_are_split_to_slack_limits() -> None:
    long_text = ("A sentence about the kettle that goes on. " * 40 + "\n\n") * 20
    answer = Answer(text=long_text, action="answer", confidence=0.9, reason="ok")
    blocks = answer_blocks("q", answer)
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert len(sections) > 1 and all(len(s) <= MAX_SECTION_CHARS for s in sections)
    assert "".join(split_text(long_text)).replace(" ", "").replace("\n", "") == long_text.replace(
        " ", ""
    ).replace("\n", "")
    assert all(len(page) <= MAX_BLOCKS for page in pages(list(range(120))))  # type: ignore[arg-type]
    assert len(pages(list(range(120)))) == 3  # type: ignore[arg-type]


def test_question_drops_the_mention_and_decodes_slack_entities() -> None:
    text = "<@UBOT0001> is <https://shop.example/x|this page> right &amp; current?"
    assert question_from(text, "UBOT0001") == "is this page right & current?"
    assert question_from("<@UOTHER> hello") == "hello"
