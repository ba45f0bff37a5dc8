"""Retrieval evaluation: metric values, unit mapping, the memoised search, and a short run."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from eval.report_retrieval import render, render_text
from eval.retrieval_corpora import CachedQueryEmbedder, Dataset, build_product_index, copy_groups
from eval.retrieval_eval import MemoRetriever, configured, ranker
from eval.retrieval_metrics import (
    Latency,
    Query,
    Row,
    first_occurrences,
    mean_scores,
    ndcg_at,
    recall_at,
    reciprocal_rank,
    score_query,
    target_check,
    unit_ranking,
)
from kb_assistant.cli import main
from kb_assistant.composition import build_keyword_index, build_vector_index
from kb_assistant.domain import Document, Section
from kb_assistant.embedding import HashingEmbedder
from kb_assistant.retrieval import HybridRetriever
from kb_assistant.settings import Settings

RANKING = ["a", "b", "c", "d", "e"]


def test_recall_is_the_share_of_gold_units_in_the_top_k() -> None:
    gold = {"b", "d"}
    assert recall_at(RANKING, gold, 1) == 0.0
    assert recall_at(RANKING, gold, 2) == 0.5
    assert recall_at(RANKING, gold, 5) == 1.0
    assert recall_at(RANKING, set(), 5) == 0.0


def test_reciprocal_rank_counts_the_first_gold_unit_within_k() -> None:
    assert reciprocal_rank(RANKING, {"c", "e"}) == pytest.approx(1 / 3)
    assert reciprocal_rank(RANKING, {"a"}) == 1.0
    assert reciprocal_rank(RANKING, {"e"}, k=4) == 0.0
    assert reciprocal_rank(RANKING, {"z"}) == 0.0


def test_ndcg_is_binary_with_the_ideal_over_at_most_k_gold_units() -> None:
    expected = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert ndcg_at(RANKING, {"b", "d"}) == pytest.approx(expected)
    assert ndcg_at(RANKING, {"a"}) == 1.0
    assert ndcg_at(RANKING, {"z"}) == 0.0
    many = [f"u{i}" for i in range(12)]
    assert ndcg_at(many[:10], set(many)) == pytest.approx(1.0)  # 10 of 12 gold is ideal at @10
    assert ndcg_at(many[:10], set(many), k=5) == pytest.approx(1.0)


def test_scores_and_means_cover_every_metric() -> None:
    first = score_query(["x", "g"], {"g"})
    assert first == {
        "recall@1": 0.0,
        "recall@5": 1.0,
        "recall@10": 1.0,
        "mrr@10": 0.5,
        "ndcg@10": pytest.approx(1 / math.log2(3)),
    }
    second = score_query(["g"], {"g"})
    means = mean_scores([first, second])
    assert means["recall@1"] == 0.5
    assert means["mrr@10"] == 0.75
    assert mean_scores([]) == dict.fromkeys(means, 0.0)


def test_units_keep_their_first_occurrence_only() -> None:
    unit_of = {"c1": "faq_1", "c2": "faq_1", "c3": "faq_2", "c4": "faq_1", "c5": "faq_3"}
    ranking = unit_ranking(["c2", "c1", "c4", "c3", "c5"], unit_of)
    assert ranking == ["faq_1", "faq_2", "faq_3"]
    # Three chunks of one unit neither count thrice nor push the other units out of the top 2.
    assert recall_at(ranking, {"faq_2"}, 2) == 1.0
    assert first_occurrences(["a", "a", "b", "c", "b", "d"], depth=3) == ["a", "b", "c"]
    with pytest.raises(KeyError):
        unit_ranking(["unknown"], unit_of)


def test_latency_percentiles_interpolate_in_milliseconds() -> None:
    latency = Latency.of([0.010, 0.020, 0.030, 0.040])
    assert latency.p50_ms == pytest.approx(25.0)
    assert latency.p95_ms == pytest.approx(38.5)
    assert Latency.of([]) == Latency(0.0, 0.0)


def test_limited_queries_are_spread_over_the_file() -> None:
    queries = [Query(f"q{i}", frozenset({f"u{i}"})) for i in range(10)]
    dataset = Dataset("toy", "Toy", [], queries, "unit")
    assert [q.text for q in dataset.limited(3).queries] == ["q0", "q3", "q6"]
    assert dataset.limited(None) is dataset
    assert dataset.limited(50) is dataset


def _rows(ndcg: dict[str, float]) -> list[Row]:
    return [{"name": name, "metrics": {"ndcg@10": value}} for name, value in ndcg.items()]


def test_target_compares_hybrids_with_the_better_single_retriever() -> None:
    rows = _rows(
        {
            "bm25": 0.60,
            "dense": 0.70,
            "hybrid-rrf": 0.72,
            "hybrid-weighted-0.5": 0.749,
            "hybrid-weighted-0.7": 0.735,
        }
    )
    alternatives = _rows({"rrf-fused": 0.80, "default-10": 0.9})
    check = target_check(rows, alternatives, "hybrid-weighted-0.7")
    assert check["best_single"] == "dense"
    assert check["default"]["ratio"] == pytest.approx(1.05)
    assert check["default"]["met"] is True
    assert check["best"]["name"] == "hybrid-weighted-0.5"
    assert check["best_without_collapse"]["name"] == "rrf-fused"
    assert check["best_weight"] == 0.5


SECTION_TEXT = (
    "Hold the pairing button for three seconds until the light blinks. "
    "The remote then pairs with the television automatically. "
    "If pairing fails, replace the batteries and try again from the start."
)


def _manual(section_id: str, title: str, text: str) -> Document:
    return Document(
        id=f"manual:test#{section_id}",
        title=title,
        sections=[Section(text)],
        kind="pdf",
        visibility="public",
        source="/test/manual.jsonl",
        location=f"manual › {title}",
        metadata={"section_id": section_id},
    )


def test_copies_of_a_section_are_one_unit_and_other_sections_stay_apart() -> None:
    documents = [
        _manual("s1", "Pairing the remote", SECTION_TEXT),
        _manual("s2", "Pairing the remote", SECTION_TEXT + " Hold the button."),  # a copy
        _manual("s3", "Pairing the remote", "Press Home, then Settings, then Remote."),
        _manual("s4", "Cleaning the screen", SECTION_TEXT),  # same words, another section
    ]
    unit_of = copy_groups(documents)
    assert [unit_of[d.id] for d in documents] == ["s1", "s1", "s3", "s4"]


@pytest.fixture
def toy_index(settings: Settings) -> tuple[HybridRetriever, dict[str, str]]:
    """A small manual indexed by the product's parts; two sections share their text."""
    documents = [
        _manual("s1", "Pairing the remote", SECTION_TEXT),
        _manual("s2", "Pairing the remote", SECTION_TEXT),  # repeated section
        _manual("s3", "Cleaning the screen", "Wipe the screen with a dry soft cloth. " * 12),
        _manual("s4", "Updating software", "Open Settings, Support, Software Update. " * 12),
    ]
    small = settings.model_copy(update={"chunk_tokens": 40, "chunk_overlap": 5})
    embedder = CachedQueryEmbedder(HashingEmbedder())
    dataset = Dataset("toy", "Toy", documents, [], "section_id")
    stats = build_product_index(small, embedder, dataset)
    assert stats.chunks > len(documents)  # long sections were split
    assert set(stats.unit_of.values()) == {"s1", "s2", "s3", "s4"}
    vectors = build_vector_index(small, embedder)
    retriever = HybridRetriever(embedder, vectors, build_keyword_index(small), candidates=10)
    return retriever, stats.unit_of


def test_memoised_search_ranks_exactly_like_a_live_search(
    toy_index: tuple[HybridRetriever, dict[str, str]],
) -> None:
    live, _ = toy_index
    memo: dict[tuple[str, str, int], list[object]] = {}
    question = "how do I pair the remote"
    for fusion, weight in (("rrf", 0.7), ("weighted", 0.3), ("weighted", 0.9)):
        direct = configured(live, fusion, weight)  # type: ignore[arg-type]
        memoised = configured(live, fusion, weight, memo=memo)  # type: ignore[arg-type]
        assert isinstance(memoised, MemoRetriever)
        assert memoised.retrieve(question, "customer", 10) == direct.retrieve(
            question, "customer", 10
        )
    assert len(memo) == 2  # one dense and one keyword ranking, fetched once


def test_near_duplicate_sections_collapse_in_the_hybrid_ranking_only(
    toy_index: tuple[HybridRetriever, dict[str, str]],
) -> None:
    live, unit_of = toy_index
    question = "pairing button light blinks"
    hybrid = ranker(live, "hybrid", unit_of)(question)
    fused = ranker(live, "fused", unit_of)(question)
    keyword = ranker(live, "keyword", unit_of)(question)
    assert len(set(hybrid)) == len(hybrid)
    assert {"s1", "s2"} <= set(fused)
    assert {"s1", "s2"} <= set(keyword)
    assert len({"s1", "s2"} & set(hybrid)) == 1


def test_cached_query_embedder_embeds_each_query_once() -> None:
    inner = HashingEmbedder()
    cached = CachedQueryEmbedder(inner)
    seconds = cached.prime(["reset the remote", "reset the remote", "clean the screen"])
    assert set(seconds) == {"reset the remote", "clean the screen"}
    assert (cached.embed_query("reset the remote") == inner.embed_query("reset the remote")).all()
    assert cached.model_id == inner.model_id


@pytest.mark.slow
def test_command_scores_every_retriever_on_stackfaq(
    eval_data: Path, clean_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["eval", "retrieval", "--dataset", "stackfaq", "--limit", "20"]
    assert main([*args, "--json", "--eval-data", str(eval_data)]) == 0
    report = json.loads(capsys.readouterr().out)
    result = report["datasets"]["stackfaq"]
    assert (result["queries"], result["units"]) == (20, 125)
    # An answer is one chunk unless it is longer than the chunk budget, then a few.
    assert result["documents"] <= result["chunks"] <= 1.2 * result["documents"]
    rows = {r["name"]: r for r in result["retrievers"]}
    expected = {"bm25", "dense", "hybrid-rrf", "llama-index-top10", "llama-index-top30"}
    assert expected | {f"hybrid-weighted-{w}" for w in ("0.3", "0.5", "0.7", "0.9")} <= set(rows)
    for row in rows.values():
        metrics = row["metrics"]
        assert 0.0 <= metrics["recall@1"] <= metrics["recall@5"] <= metrics["recall@10"] <= 1.0
    assert rows["dense"]["metrics"]["recall@10"] >= 0.8  # rephrasings of the FAQ's question
    assert rows["dense"]["latency_ms"]["p50"] > 0
    check = result["target"]
    single = rows[check["best_single"]]["metrics"]["ndcg@10"]
    default = rows[check["default"]["name"]]
    assert check["default"]["ratio"] == pytest.approx(default["metrics"]["ndcg@10"] / single)
    markdown = render(report, "test machine")
    assert "### StackFAQ" in markdown and "| BM25 |" in markdown
    assert "kb-assistant eval retrieval" in markdown
    assert "hybrid, RRF" in render_text(report)
