"""Fusing dense and keyword rankings, and collapsing near-duplicate chunks."""

from __future__ import annotations

import pytest

from kb_assistant.fusion import (
    RRF_K,
    Fused,
    collapse_near_duplicates,
    fuse,
    reciprocal_rank_fusion,
    weighted_fusion,
)
from kb_assistant.ports import Hit

RETURNS = (
    "You can return most items within 30 days of delivery for any reason. Plus members have "
    "an extended window of 60 days. Items should be unused and in their original packaging."
)


def hit(chunk_id: str, score: float, text: str = "") -> Hit:
    return Hit(id=chunk_id, score=score, text=text or f"text of {chunk_id}", metadata={})


def ids(fused: list[Fused]) -> list[str]:
    return [f.hit.id for f in fused]


# A leads the dense ranking by far; B is second in dense and first in keyword.
DENSE = [hit("A", 0.90), hit("B", 0.30)]
KEYWORD = [hit("B", 5.0), hit("C", 4.9)]


def test_weighted_fusion_rewards_a_large_score_lead() -> None:
    fused = fuse(DENSE, KEYWORD, "weighted", weight=0.7)
    assert ids(fused) == ["A", "B", "C"]
    assert [f.score for f in fused] == pytest.approx([0.7, 0.3, 0.0])


def test_rrf_rewards_appearing_in_both_rankings() -> None:
    fused = fuse(DENSE, KEYWORD, "rrf")
    assert ids(fused) == ["B", "A", "C"]
    assert fused[0].score == pytest.approx(1 / (RRF_K + 1) + 1 / (RRF_K + 2))
    assert fused[1].score == pytest.approx(1 / (RRF_K + 1))


def test_the_weight_moves_the_ranking_between_dense_and_keyword() -> None:
    assert ids(fuse(DENSE, KEYWORD, "weighted", weight=1.0))[0] == "A"
    assert ids(fuse(DENSE, KEYWORD, "weighted", weight=0.0))[0] == "B"


def test_a_hit_missing_from_one_ranking_keeps_zero_for_that_ranking() -> None:
    by_id = {f.hit.id: f for f in fuse(DENSE, KEYWORD)}
    assert (by_id["A"].dense, by_id["A"].keyword) == (0.90, 0.0)
    assert (by_id["B"].dense, by_id["B"].keyword) == (0.30, 5.0)
    assert (by_id["C"].dense, by_id["C"].keyword) == (0.0, 4.9)


def test_min_max_normalises_each_ranking_to_zero_one() -> None:
    scores = weighted_fusion([hit("A", 0.8), hit("B", 0.6), hit("C", 0.4)], [], weight=1.0)
    assert scores == pytest.approx({"A": 1.0, "B": 0.5, "C": 0.0})


def test_min_max_of_equal_scores_gives_every_hit_full_marks() -> None:
    scores = weighted_fusion([hit("A", 0.5), hit("B", 0.5)], [hit("A", 2.0)], weight=0.5)
    assert scores == pytest.approx({"A": 1.0, "B": 0.5})


def test_reciprocal_rank_fusion_sums_over_rankings() -> None:
    scores = reciprocal_rank_fusion([[hit("A", 9), hit("B", 1)], [hit("B", 3)], []])
    assert scores == pytest.approx({"A": 1 / 61, "B": 1 / 62 + 1 / 61})


def test_empty_rankings_fuse_to_nothing() -> None:
    assert fuse([], [], "weighted") == []
    assert fuse([], [], "rrf") == []


def test_ties_are_broken_by_chunk_id_so_the_order_is_stable() -> None:
    fused = fuse([hit("b", 0.5), hit("a", 0.5)], [], "weighted")
    assert ids(fused) == ["a", "b"]


def test_collapse_keeps_the_best_of_near_identical_chunks() -> None:
    copy = RETURNS.replace("for any reason", "for any  reason")  # whitespace only
    edited = RETURNS.replace("Items should", "Items must")  # one word changed
    candidates = [
        Fused(hit("faq", 0.9, RETURNS), 0.9, 0.9, 0.0),
        Fused(hit("copy", 0.8, copy), 0.8, 0.8, 0.0),
        Fused(hit("edited", 0.7, edited), 0.7, 0.7, 0.0),
        Fused(hit("other", 0.6, "Unplug the kettle and let it cool."), 0.6, 0.6, 0.0),
    ]
    assert ids(collapse_near_duplicates(candidates)) == ["faq", "other"]


def test_collapse_keeps_chunks_that_only_share_some_wording() -> None:
    half = "You can return most items within 30 days of delivery for any reason."
    candidates = [
        Fused(hit("policy", 0.9, RETURNS), 0.9, 0.9, 0.0),
        Fused(hit("summary", 0.8, half), 0.8, 0.8, 0.0),
    ]
    assert ids(collapse_near_duplicates(candidates)) == ["policy", "summary"]
    assert ids(collapse_near_duplicates(candidates, threshold=0.3)) == ["policy"]


def test_collapse_compares_very_short_chunks_by_all_their_words() -> None:
    candidates = [
        Fused(hit("yes", 0.9, "Yes."), 0.9, 0.9, 0.0),
        Fused(hit("no", 0.8, "No."), 0.8, 0.8, 0.0),
        Fused(hit("yes-again", 0.7, "yes"), 0.7, 0.7, 0.0),
    ]
    assert ids(collapse_near_duplicates(candidates)) == ["yes", "no"]


def test_the_question_match_can_lift_a_chunk_the_answer_text_ranks_lower() -> None:
    dense = [hit("reset", 0.62), hit("email", 0.55), hit("other", 0.2)]
    keyword = [hit("reset", 4.0), hit("email", 3.0)]
    questions = [hit("email", 0.9), hit("reset", 0.5)]

    without = fuse(dense, keyword, "weighted", 0.5)
    with_questions = fuse(dense, keyword, "weighted", 0.5, questions, 0.7)

    assert ids(without)[0] == "reset"
    assert ids(with_questions)[0] == "email"
    assert with_questions[0].question == 0.9


def test_a_weak_question_match_adds_little() -> None:
    scores = weighted_fusion([hit("a", 0.9)], [hit("a", 2.0)], 0.5, [hit("b", 0.1)], 0.3)

    assert scores["b"] < 0.05 < scores["a"]


def test_a_limit_keeps_the_same_first_passages_without_reading_the_rest() -> None:
    copy = RETURNS.replace("for any reason", "for any  reason")  # a near-duplicate
    candidates = [
        Fused(hit("faq", 0.9, RETURNS), 0.9, 0.9, 0.0),
        Fused(hit("copy", 0.8, copy), 0.8, 0.8, 0.0),
        Fused(hit("other", 0.6, "Unplug the kettle and let it cool."), 0.6, 0.6, 0.0),
        Fused(hit("third", 0.5, "Delivery to the islands takes five days."), 0.5, 0.5, 0.0),
    ]
    whole = ids(collapse_near_duplicates(candidates))
    assert whole == ["faq", "other", "third"]
    assert ids(collapse_near_duplicates(candidates, limit=2)) == whole[:2]
    assert ids(collapse_near_duplicates(candidates, limit=10)) == whole
