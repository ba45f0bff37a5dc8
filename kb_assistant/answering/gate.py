"""The confidence gate: answer only when the knowledge base clearly covers the question.

A logistic model over a few evidence features (how close the best passage and the best
sentence are to the question, how far the best match stands ahead of the rest, how much of
the question's weight — its words weighted by rarity — the top passages contain) gives the
probability that the question is answerable. The weights and the threshold are fitted on
labelled questions (`kb-assistant eval calibrate`), never guessed, and shipped as JSON beside
this module; a calibration in the data directory takes precedence.

What the gate predicts is whether the answer would be *right*: the question is covered and
the answer drafted from its passages cites a document that answers it (where the labels
name the answering documents). A covered question answered from a neighbouring entry is the
costly error, so it is a negative example, and the threshold minimises a cost in which a
confident wrong answer weighs `WRONG_ANSWER_COST` needless "I don't know"s.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from kb_assistant.core.errors import UsageError

log = logging.getLogger(__name__)

SHIPPED_CALIBRATION = Path(__file__).with_name("gate_calibration.json")
CALIBRATION_FILE = "gate_calibration.json"
FEATURES = (
    "top_dense",
    "dense_gap",
    "best_sentence",
    "second_sentence",
    "coverage",
    "weighted_coverage",
    "title_similarity",
    "title_cosine",
    "unknown_terms",
    "question_match",
    "passage_question",
    "passage_lead",
    "missing_term",
)
# A confident wrong answer costs this many needless "I don't know"s (each of which still
# offers a person): the default for choosing the threshold, per knowledge base.
WRONG_ANSWER_COST = 2.0
CURVE_THRESHOLDS = tuple(step / 20 for step in range(1, 20))
PLATEAU = 0.02  # cost within 2 % of the questions of the least counts as just as good
# Which way each feature may push the answerability: more similarity or coverage never
# makes a question less answerable, more unknown words never more. A few dozen calibration
# questions cannot be trusted to learn this (correlated features get opposite signs), so
# `fit` enforces it.
DIRECTIONS = {name: 1.0 for name in FEATURES} | {"unknown_terms": -1.0, "missing_term": -1.0}


class GateCalibrationError(UsageError, RuntimeError):
    """The gate's calibration file is missing or unreadable."""


@dataclass(frozen=True)
class GateDecision:
    answer: bool
    confidence: float
    reason: str


@dataclass(frozen=True)
class GateModel:
    """Logistic weights over `features`, and the probability threshold to answer."""

    features: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float
    threshold: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    model_id: str = ""
    report: dict[str, object] = field(default_factory=dict)

    def probability(self, features: Mapping[str, float]) -> float:
        z = self.bias
        for name, weight, mean, scale in zip(
            self.features, self.weights, self.mean, self.scale, strict=True
        ):
            z += weight * (features.get(name, 0.0) - mean) / scale
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> GateModel:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            model = cls(
                features=tuple(raw["features"]),
                weights=tuple(float(w) for w in raw["weights"]),
                bias=float(raw["bias"]),
                threshold=float(raw["threshold"]),
                mean=tuple(float(m) for m in raw["mean"]),
                scale=tuple(float(s) for s in raw["scale"]),
                model_id=str(raw.get("model_id", "")),
                report=dict(raw.get("report", {})),
            )
            sizes = {len(model.features), len(model.weights), len(model.mean), len(model.scale)}
            if len(sizes) != 1:
                raise ValueError("features, weights, mean and scale differ in length")
            return model
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise GateCalibrationError(f"cannot read gate calibration {path}: {exc}") from exc


class ConfidenceGate:
    """Decides whether the evidence is strong enough to answer."""

    def __init__(self, model: GateModel, threshold: float | None = None) -> None:
        self.model = model
        self.threshold = model.threshold if threshold is None else threshold

    def decide(self, features: Mapping[str, float]) -> GateDecision:
        confidence = self.model.probability(features)
        if confidence >= self.threshold:
            return GateDecision(True, confidence, "the knowledge base covers this question")
        return GateDecision(False, confidence, "the knowledge base does not cover this question")

    @classmethod
    def for_data_dir(
        cls, data_dir: Path, model_id: str, threshold: float | None = None
    ) -> ConfidenceGate:
        """The data directory's own calibration if there is one, else the shipped one."""
        local = data_dir / CALIBRATION_FILE
        model = GateModel.load(local if local.exists() else SHIPPED_CALIBRATION)
        if model.model_id and Path(model.model_id).name != Path(model_id).name:
            log.warning(
                "the confidence gate was calibrated with %s but the embedding model is %s; "
                "run `kb-assistant eval calibrate` for this model",
                model.model_id,
                model_id,
            )
        return cls(model, threshold)


def fit(
    samples: Sequence[tuple[Mapping[str, float], bool]],
    features: Sequence[str] = FEATURES,
    l2: float = 0.1,
) -> tuple[tuple[float, ...], float, tuple[float, ...], tuple[float, ...]]:
    """Logistic regression (Newton's method, L2) on standardised features, each weight held
    to its feature's direction (`DIRECTIONS`): a feature whose weight comes out the wrong
    way is dropped (weight 0) and the rest refitted.

    Returns (weights, bias, mean, scale).
    """
    x = np.array([[f.get(name, 0.0) for name in features] for f, _ in samples], dtype=np.float64)
    y = np.array([1.0 if label else 0.0 for _, label in samples])
    mean = x.mean(axis=0)
    scale = np.where(x.std(axis=0) > 1e-9, x.std(axis=0), 1.0)
    standard = (x - mean) / scale
    active = list(range(len(features)))
    while True:
        beta = _newton(standard[:, active], y, l2)
        wrong = [
            i
            for i, w in zip(active, beta[:-1], strict=True)
            if w * DIRECTIONS.get(features[i], 0.0) < 0
        ]
        if not wrong:
            break
        active.remove(min(wrong, key=lambda i: beta[active.index(i)] * DIRECTIONS[features[i]]))
    weights = np.zeros(len(features))
    weights[active] = beta[:-1]
    return (
        tuple(float(w) for w in weights),
        float(beta[-1]),
        tuple(float(m) for m in mean),
        tuple(float(s) for s in scale),
    )


def _newton(x: np.ndarray, y: np.ndarray, l2: float) -> np.ndarray:
    """Weights (then the bias) of an L2-penalised logistic regression on `x`."""
    design = np.hstack([x, np.ones((len(x), 1))])
    beta = np.zeros(design.shape[1])
    penalty = np.diag([l2] * x.shape[1] + [0.0])
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(design @ beta, -50, 50)))
        gradient = design.T @ (p - y) + penalty @ beta
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + penalty + 1e-9 * np.eye(len(beta))
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return beta


def choose_threshold(
    probabilities: Sequence[float], answerable: Sequence[bool], min_refusal: float = 0.9
) -> float:
    """The threshold that answers the most answerable questions while still refusing at least
    `min_refusal` of the unanswerable ones (a confident wrong answer costs more than an
    honest "I don't know" that offers a person). Without such a threshold: the one that
    maximises correct refusals + correct answers (Youden's J)."""
    candidates = sorted(set(probabilities))
    best, best_tpr, best_j, youden = None, -1.0, -1.0, 0.5
    for threshold in candidates:
        answered = [p >= threshold for p in probabilities]
        tpr = _rate(answered, answerable, True)
        tnr = _rate([not a for a in answered], answerable, False)
        if tnr >= min_refusal and tpr > best_tpr:
            best, best_tpr = threshold, tpr
        if tpr + tnr - 1.0 > best_j:
            youden, best_j = threshold, tpr + tnr - 1.0
    return youden if best is None else best


def cost_threshold(
    probabilities: Sequence[float], right: Sequence[bool], wrong_cost: float = WRONG_ANSWER_COST
) -> float:
    """The threshold with the least cost on labelled questions: `wrong_cost` for each answer
    that would be wrong (a question the knowledge base does not cover, or one answered from
    a document that does not answer it), 1 for each right answer refused.

    The cost is flat near its minimum, and which end of that plateau the minimum falls on
    depends on a question or two; the middle of the plateau (from the lowest to the highest
    threshold within `PLATEAU` of the least cost) moves less from one question set to the
    next.
    """
    thresholds = [*sorted(set(probabilities)), math.inf]
    costs = [
        sum(
            (0.0 if ok else wrong_cost) if p >= threshold else (1.0 if ok else 0.0)
            for p, ok in zip(probabilities, right, strict=True)
        )
        for threshold in thresholds
    ]
    least = min(costs)
    plateau = [
        t for t, c in zip(thresholds, costs, strict=True) if c <= least + PLATEAU * len(right)
    ]
    chosen = plateau[len(plateau) // 2]
    return 1.0 if math.isinf(chosen) else chosen


def tradeoff(
    probabilities: Sequence[float],
    right: Sequence[bool],
    answerable: Sequence[bool],
    thresholds: Sequence[float] = CURVE_THRESHOLDS,
) -> list[dict[str, float]]:
    """Per threshold: right answers (share of answerable questions), confident-wrong
    answers (share of all questions) and honest "I don't know"s (share of the others)."""
    n = len(probabilities)
    good = sum(answerable) or 1
    bad = (n - sum(answerable)) or 1
    curve = []
    for threshold in thresholds:
        answered = [p >= threshold for p in probabilities]
        curve.append(
            {
                "threshold": threshold,
                "right": sum(a and r for a, r in zip(answered, right, strict=True)) / good,
                "confident_wrong": sum(a and not r for a, r in zip(answered, right, strict=True))
                / max(n, 1),
                "honest_dont_know": sum(
                    not a and not ok for a, ok in zip(answered, answerable, strict=True)
                )
                / bad,
            }
        )
    return curve


def _rate(hits: Sequence[bool], labels: Sequence[bool], label: bool) -> float:
    chosen = [h for h, lab in zip(hits, labels, strict=True) if lab == label]
    return sum(chosen) / len(chosen) if chosen else 0.0
