"""The support calibration: rewording, merged statements, hard negatives, threshold choice."""

from __future__ import annotations

import numpy as np

from eval.calibrate_support import (
    NEGATIVES_FILE,
    TARGET,
    Pair,
    Scores,
    choose,
    hard_negatives,
    merged,
    reword,
)
from eval.datasets import read_jsonl
from kb_assistant.embedding.hashing import HashingEmbedder
from kb_assistant.verify.support import SentenceVectors


def test_rewording_drops_a_clause_and_swaps_common_words() -> None:
    assert reword(
        "If you checked out as a guest, use the returns form with your order number."
    ) == ("Use the returns form with your order number.")
    assert reword("Please keep the original box, because it protects the item.") == (
        "Keep the original box."
    )
    assert reword("Press the Select button.") == "Push the Select button."
    assert reword("Go to Account.") is None


def test_merged_statements_join_consecutive_sentences() -> None:
    passage = "Q: Title?\nA: Open the order page. Select the return button. Wait for the email."
    pairs = [Pair("Open the order page.", passage), Pair("Select the return button.", passage)]
    joined = "Open the order page, and select the return button."
    assert merged(pairs) == [Pair(joined, passage)]


def test_hard_negatives_skip_the_own_passage_and_duplicates() -> None:
    own = "Refunds take 5–10 business days after we receive the item."
    duplicate = "Good news: refunds take 5–10 business days after we receive it."
    other = "Refunds for gift cards are issued as a new gift card."
    pairs = [Pair("Refunds take 5–10 business days after we receive the item.", own)]
    vectors = SentenceVectors(HashingEmbedder())
    found = hard_negatives("test", pairs, [own, duplicate, other], vectors)
    assert not found.positive
    assert found.pairs == [Pair(pairs[0].statement, other)]


def test_thresholds_keep_false_support_under_the_target_and_maximise_recall() -> None:
    ones = np.ones(100, dtype=bool)
    positives = {"p": Scores(np.linspace(0.5, 1.0, 100), np.linspace(0.5, 1.0, 100), ones)}
    negatives = {"n": Scores(np.linspace(0.0, 0.9, 100), np.linspace(0.3, 0.93, 100), ones)}
    min_recall, min_cosine, recall = choose(positives, negatives)
    assert negatives["n"].supported(min_recall, min_cosine).mean() <= TARGET
    assert recall == positives["p"].supported(min_recall, min_cosine).mean()
    looser = positives["p"].supported(min_recall - 0.05, min_cosine)
    assert looser.mean() > recall  # the chosen point sits at the constraint


def test_the_numbers_rule_counts_in_support() -> None:
    scores = Scores(np.array([1.0, 1.0]), np.array([1.0, 1.0]), np.array([True, False]))
    assert scores.supported(0.9, 0.9).tolist() == [True, False]
    assert scores.supported(0.9, 0.9, numbers=False).tolist() == [True, True]


def test_hand_written_negatives_name_a_demo_passage() -> None:
    rows = list(read_jsonl(NEGATIVES_FILE))
    assert len(rows) >= 60
    assert {row["kind"] for row in rows} == {"wrong_number", "invented", "contradiction"}
    assert all(row["text"] and row["cites"] for row in rows)
