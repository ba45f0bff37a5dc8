"""Support signals: sentence-level token recall, numbers, pleasantries, batched vectors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from kb_assistant.embedding.hashing import HashingEmbedder
from kb_assistant.verify import CalibrationMissingError, SupportThresholds
from kb_assistant.verify.support import (
    CALIBRATION_FILE,
    SentenceVectors,
    is_pleasantry,
    max_cosine,
    passage_numbers,
    passage_sentences,
    token_recall,
    unsupported_numbers,
)

PASSAGE = (
    "Q: When will I receive my refund?\nA: Refunds are usually processed within 5–10 business "
    "days after we receive the item. Card refunds can take a few more business days to appear, "
    "while PayPal refunds are usually faster."
)


def test_token_recall_counts_words_found_together_in_two_consecutive_sentences() -> None:
    assert token_recall("Refunds are processed within 5–10 business days.", PASSAGE) == 1.0
    assert token_recall("PayPal refunds are usually quicker.", PASSAGE) == pytest.approx(0.75)
    assert token_recall("Yes.", PASSAGE) == 0.0
    spread = (
        "Refunds take 5–10 business days. Store credit is valid for 24 months. "
        "Gift cards are digital. PayPal refunds are usually faster."
    )
    # every word is in the passage, but "PayPal" is three sentences away from the rest
    assert token_recall("PayPal refunds take 5–10 business days.", spread) == pytest.approx(6 / 7)
    merged = "Refunds take 5–10 business days, and store credit is valid for 24 months."
    assert token_recall(merged, spread) == 1.0


def test_passage_sentences_drop_question_and_answer_labels() -> None:
    sentences = passage_sentences(PASSAGE)
    assert sentences[0] == "When will I receive my refund?"
    assert sentences[1].startswith("Refunds are usually processed")


def test_numbers_must_be_in_a_cited_passage() -> None:
    assert unsupported_numbers("Refunds take 5–10 business days.", [PASSAGE]) == []
    assert unsupported_numbers("Refunds take 5–14 business days.", [PASSAGE]) == ["14"]
    assert unsupported_numbers("It takes 3 days.", ["It takes three days.", "Other"]) == []
    assert {"3", "24"} <= passage_numbers("three checks, valid for 24 months")


@pytest.mark.parametrize(
    "text", ["Thanks for your question!", "Glad I could help.", "I'm sorry to hear that.", "Hi!"]
)
def test_pleasantries_need_no_source(text: str) -> None:
    assert is_pleasantry(text)


@pytest.mark.parametrize(
    "text",
    [
        "Thanks, refunds take 5 days.",
        "Happy to help: returns are free.",
        "Glad to help, see https://help.harborpine.example.",
        "",
    ],
)
def test_facts_are_not_pleasantries(text: str) -> None:
    assert not is_pleasantry(text)


def test_vectors_are_embedded_in_one_batch_and_cached() -> None:
    embedder = HashingEmbedder()
    vectors = SentenceVectors(embedder, capacity=3)
    first = vectors.vectors(["a b", "c d", "a b"])
    assert (embedder.calls, embedder.texts_embedded) == (1, 2)
    vectors.vectors(["a b", "e f"])
    assert (embedder.calls, embedder.texts_embedded) == (2, 3)
    vectors.vectors(["g h"])  # capacity 3: "c d" is now the least recently used, and goes
    vectors.vectors(["c d", "a b"])
    assert (embedder.calls, embedder.texts_embedded) == (4, 5)
    assert np.allclose(first["a b"], vectors.vectors(["a b"])["a b"])


def test_max_cosine_is_the_best_sentence() -> None:
    unit = np.eye(3, dtype=np.float32)
    assert max_cosine(unit[0], [unit[1], unit[0]]) == pytest.approx(1.0)
    assert max_cosine(unit[0], []) == 0.0


def test_shipped_calibration_meets_its_target() -> None:
    thresholds = SupportThresholds.calibrated()
    report = json.loads(CALIBRATION_FILE.read_text(encoding="utf-8"))
    assert 0.0 < thresholds.min_token_recall <= 1.0 and 0.0 < thresholds.min_cosine <= 1.0
    assert report["target_false_support"] == 0.05
    assert all(r["supported"] <= 0.05 for r in report["false_support"].values())
    assert report["sizes"]["handwritten_negatives"] >= 60
    assert report["date"] and report["model"]


def test_missing_calibration_says_how_to_make_it(tmp_path: Path) -> None:
    with pytest.raises(CalibrationMissingError, match="calibrate_support"):
        SupportThresholds.calibrated(tmp_path / "missing.json")
