"""The confidence gate: fitting, choosing the threshold, and loading calibrations."""

from __future__ import annotations

import json
import logging
import math
import random
from pathlib import Path

import pytest

from kb_assistant.answering.gate import (
    CALIBRATION_FILE,
    FEATURES,
    SHIPPED_CALIBRATION,
    ConfidenceGate,
    GateCalibrationError,
    GateModel,
    choose_threshold,
    fit,
)

Sample = tuple[dict[str, float], bool]


def separable(n: int = 40, seed: int = 7) -> list[Sample]:
    """Answerable questions have a close top passage; unanswerable ones do not.

    `coverage` is noise, so a fitted model must learn to lean on `top_dense`.
    """
    rng = random.Random(seed)
    samples: list[Sample] = []
    for i in range(n):
        answerable = i % 2 == 0
        top = rng.uniform(0.6, 0.9) if answerable else rng.uniform(0.1, 0.4)
        samples.append(({"top_dense": top, "coverage": rng.uniform(0.0, 1.0)}, answerable))
    return samples


def model_of(samples: list[Sample], features: tuple[str, ...]) -> GateModel:
    weights, bias, mean, scale = fit(samples, features)
    return GateModel(features, weights, bias, 0.5, mean, scale)


def test_fit_separates_a_separable_dataset() -> None:
    samples = separable()
    model = model_of(samples, ("top_dense", "coverage"))
    for features, answerable in samples:
        assert (model.probability(features) >= 0.5) == answerable
    assert abs(model.weights[0]) > 3 * abs(model.weights[1])
    assert model.weights[0] > 0
    unseen = [({"top_dense": 0.95, "coverage": 0.0}, True), ({"top_dense": 0.05}, False)]
    for features, answerable in unseen:
        assert (model.probability(features) >= 0.5) == answerable


def test_fit_never_lets_more_similarity_lower_the_answerability() -> None:
    """In this sample `coverage` runs against the label once `top_dense` is known, which an
    unconstrained fit would learn as a negative weight."""
    rng = random.Random(3)
    samples: list[Sample] = []
    for i in range(60):
        answerable = i % 2 == 0
        top = rng.uniform(0.5, 0.9) if answerable else rng.uniform(0.2, 0.6)
        coverage = top + (-0.3 if answerable else 0.3) + rng.uniform(-0.05, 0.05)
        unknown = float(rng.randint(0, 1)) if answerable else 0.0
        samples.append(
            ({"top_dense": top, "coverage": coverage, "unknown_terms": unknown}, answerable)
        )
    weights, _, _, _ = fit(samples, ("top_dense", "coverage", "unknown_terms"))
    assert weights[0] > 0
    assert weights[1] == 0.0  # dropped rather than turned against similarity
    assert weights[2] == 0.0  # unknown words never count in favour of answering


def test_fit_standardises_features() -> None:
    samples = [({"top_dense": 0.2}, False), ({"top_dense": 0.4}, True)]
    _, _, mean, scale = fit(samples, ("top_dense", "unknown_terms"))
    assert mean == pytest.approx((0.3, 0.0))
    assert scale == pytest.approx((0.1, 1.0))  # a constant feature keeps scale 1


def test_choose_threshold_maximises_correct_answers_and_refusals() -> None:
    probabilities = [0.1, 0.3, 0.45, 0.6, 0.8, 0.9]
    answerable = [False, False, False, True, True, True]
    assert choose_threshold(probabilities, answerable) == 0.6


def test_choose_threshold_trades_off_when_classes_overlap() -> None:
    probabilities = [0.2, 0.7, 0.4, 0.8, 0.9]
    answerable = [False, False, True, True, True]
    # 0.4 answers all three answerable but one unanswerable (J = 0.5); 0.8 answers two
    # answerable and no unanswerable (J = 2/3): the best trade-off.
    assert choose_threshold(probabilities, answerable) == 0.8


def test_choose_threshold_without_data_is_one_half() -> None:
    assert choose_threshold([], []) == 0.5


def test_gate_model_save_and_load_roundtrip(tmp_path: Path) -> None:
    model = GateModel(
        features=("top_dense", "coverage"),
        weights=(2.5, -0.25),
        bias=0.75,
        threshold=0.6,
        mean=(0.5, 0.4),
        scale=(0.2, 0.3),
        model_id="all-MiniLM-L6-v2",
        report={"test": {"answerable": 3}},
    )
    path = tmp_path / "nested" / CALIBRATION_FILE
    model.save(path)
    assert GateModel.load(path) == model


def test_probability_follows_the_logistic_formula() -> None:
    model = GateModel(("top_dense",), (2.0,), 0.5, 0.5, (0.5,), (0.25,))
    # z = 0.5 + 2.0 * (0.75 - 0.5) / 0.25 = 2.5
    assert model.probability({"top_dense": 0.75}) == pytest.approx(1 / (1 + math.exp(-2.5)))
    # a missing feature counts as 0: z = 0.5 + 2.0 * (0 - 0.5) / 0.25 = -3.5
    assert model.probability({}) == pytest.approx(1 / (1 + math.exp(3.5)))
    assert model.probability({"top_dense": 1e9}) == pytest.approx(1.0)


def test_gate_decides_at_its_threshold() -> None:
    model = GateModel(("top_dense",), (1.0,), 0.0, 0.5, (0.0,), (1.0,))
    assert ConfidenceGate(model).decide({"top_dense": 0.1}).answer
    assert not ConfidenceGate(model).decide({"top_dense": -0.1}).answer
    strict = ConfidenceGate(model, threshold=0.9).decide({"top_dense": 0.1})
    assert not strict.answer
    assert strict.confidence == pytest.approx(0.525, abs=1e-3)
    assert "does not cover" in strict.reason


def test_the_shipped_calibration_loads_and_uses_every_feature() -> None:
    model = GateModel.load(SHIPPED_CALIBRATION)
    assert model.features == FEATURES
    assert len(model.weights) == len(model.mean) == len(model.scale) == len(FEATURES)
    assert 0.0 < model.threshold < 1.0
    assert all(s > 0 for s in model.scale)
    # a close passage and sentence that cover the question's words get an answer
    strong = dict.fromkeys(FEATURES, 0.9) | {"unknown_terms": 0.0}
    weak = dict.fromkeys(FEATURES, 0.1) | {"unknown_terms": 3.0}
    gate = ConfidenceGate(model)
    assert gate.decide(strong).answer
    assert not gate.decide(weak).answer


def test_for_data_dir_prefers_the_data_directorys_calibration(tmp_path: Path) -> None:
    shipped = ConfidenceGate.for_data_dir(tmp_path, "any-model")
    assert shipped.model == GateModel.load(SHIPPED_CALIBRATION)
    local = GateModel(("top_dense",), (1.0,), 0.0, 0.42, (0.0,), (1.0,), model_id="m")
    local.save(tmp_path / CALIBRATION_FILE)
    gate = ConfidenceGate.for_data_dir(tmp_path, "/models/m")
    assert gate.model == local
    assert gate.threshold == 0.42
    assert ConfidenceGate.for_data_dir(tmp_path, "m", threshold=0.9).threshold == 0.9


def test_for_data_dir_warns_when_calibrated_for_another_model(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    GateModel(("top_dense",), (1.0,), 0.0, 0.5, (0.0,), (1.0,), model_id="a").save(
        tmp_path / CALIBRATION_FILE
    )
    with caplog.at_level(logging.WARNING, logger="kb_assistant.answering.gate"):
        ConfidenceGate.for_data_dir(tmp_path, "/models/a")
        assert not caplog.records
        ConfidenceGate.for_data_dir(tmp_path, "b")
    assert "calibrated with a" in caplog.text
    assert "eval calibrate" in caplog.text


@pytest.mark.parametrize(
    "content",
    ["{not json", "[]", json.dumps({"features": ["top_dense"]}), ""],
)
def test_a_corrupt_calibration_raises_a_clear_error(tmp_path: Path, content: str) -> None:
    (tmp_path / CALIBRATION_FILE).write_text(content, encoding="utf-8")
    with pytest.raises(GateCalibrationError, match=CALIBRATION_FILE):
        ConfidenceGate.for_data_dir(tmp_path, "m")


def test_a_missing_calibration_file_raises_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(GateCalibrationError, match="cannot read gate calibration"):
        GateModel.load(tmp_path / "absent.json")


def test_a_calibration_with_mismatched_lengths_is_refused_when_loaded(tmp_path: Path) -> None:
    raw = {
        "features": ["top_dense", "coverage"],
        "weights": [1.0],
        "bias": 0.0,
        "threshold": 0.5,
        "mean": [0.0, 0.0],
        "scale": [1.0, 1.0],
    }
    path = tmp_path / CALIBRATION_FILE
    path.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(GateCalibrationError):
        GateModel.load(path)


def test_the_cost_threshold_refuses_more_when_wrong_answers_cost_more() -> None:
    from kb_assistant.answering.gate import cost_threshold

    probabilities = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]
    right = [True, True, False, True, False, False]

    assert cost_threshold(probabilities, right, wrong_cost=0.5) <= 0.6
    assert cost_threshold(probabilities, right, wrong_cost=5.0) == 0.8


def test_the_tradeoff_curve_reports_right_wrong_and_honest_refusals() -> None:
    from kb_assistant.answering.gate import tradeoff

    curve = tradeoff(
        [0.9, 0.6, 0.7, 0.2], [True, False, False, False], [True, True, False, False], [0.5, 0.8]
    )

    assert curve[0] == {
        "threshold": 0.5,
        "right": 0.5,
        "confident_wrong": 0.5,
        "honest_dont_know": 0.5,
    }
    assert curve[1]["confident_wrong"] == 0.0 and curve[1]["honest_dont_know"] == 1.0
