"""The nearest-example vote: close examples decide, a near-identical one counts most."""

from __future__ import annotations

import numpy as np
import pytest

from kb_assistant.core.decisions import POLICY_CLASSES
from kb_assistant.policy.neighbours import Neighbours, owners_of


def unit(*rows: tuple[float, ...]) -> np.ndarray:
    vectors = np.array(rows, dtype=np.float64)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


# Two money examples around the x axis, one calm example on the y axis.
VECTORS = unit((1.0, 0.0), (0.95, 0.3), (0.0, 1.0)).astype(np.float32)
OWNERS = owners_of(["money_action", "money_action", "none"])


def vote(k: int = 3, temperature: float = 0.05, weight: float = 0.5) -> Neighbours:
    return Neighbours(VECTORS, OWNERS, k, temperature, weight)


def share(row: np.ndarray, label: str) -> float:
    return float(row[POLICY_CLASSES.index(label)])


def test_a_message_takes_the_class_of_the_examples_closest_to_it() -> None:
    money, calm = vote().vote(unit((0.99, 0.1), (0.1, 0.99)))
    assert share(money, "money_action") > 0.99
    assert share(calm, "none") > 0.99
    assert money.sum() == pytest.approx(1.0) and calm.sum() == pytest.approx(1.0)


def test_one_near_identical_example_outweighs_several_loose_ones() -> None:
    (row,) = vote(temperature=0.05).vote(unit((0.35, 0.94)))
    assert share(row, "none") > 0.9
    (flat,) = vote(temperature=100.0).vote(unit((0.35, 0.94)))
    assert share(flat, "money_action") == pytest.approx(2 / 3, abs=0.01)


def test_only_the_k_nearest_vote_and_k_may_exceed_the_examples() -> None:
    (nearest_only,) = vote(k=1, temperature=100.0).vote(unit((0.2, 0.98)))
    assert share(nearest_only, "none") == pytest.approx(1.0)
    (all_of_them,) = vote(k=50, temperature=100.0).vote(unit((0.2, 0.98)))
    assert share(all_of_them, "none") == pytest.approx(1 / 3, abs=0.01)


def test_the_vote_is_mixed_into_the_probabilities_at_its_weight() -> None:
    regression = np.zeros((1, len(POLICY_CLASSES)))
    regression[0, POLICY_CLASSES.index("money_info")] = 1.0
    query = unit((0.1, 0.99))
    (mixed,) = vote(weight=0.25).blend(regression, query)
    assert share(mixed, "money_info") == pytest.approx(0.75)
    assert share(mixed, "none") == pytest.approx(0.25, abs=0.01)
    assert vote(weight=0.0).blend(regression, query) is regression
