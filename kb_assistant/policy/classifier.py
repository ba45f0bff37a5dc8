"""The trained part of the policy: logistic regression on sentence embeddings.

Rules catch the wording someone thought of; the model catches the rest ("the machine ate my
cash"). It is deliberately small: the project's own labelled examples (plus an operator's
extra file), embedded with the same `Embedder` as retrieval, and a multinomial logistic
regression trained in seconds on first use. Each class is first split into a few clusters of
similar examples (k-means on the embeddings) and the regression learns those sub-classes,
whose probabilities are summed back per class: a refund request and a declined card are both
money_action but lie far apart, and one linear boundary per class cannot hold both. A vote
of the nearest examples (`kb_assistant.policy.neighbours`) is blended in, for the fine
distinctions a linear boundary blurs.

The weights and the examples' vectors are cached as plain arrays
(`<data_dir>/policy/model-<key>.npz` + JSON metadata, never pickle), keyed by a hash of the
examples, the embedding model, the policy version and the training settings, so any change
retrains. The vote's settings apply at prediction and need no retraining.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt

from kb_assistant.core.decisions import POLICY_CLASSES, PolicyClass
from kb_assistant.policy.config import PolicyConfig
from kb_assistant.policy.labelled_examples import (
    EXAMPLES_DIR,
    Example,
    load_examples,
    read_examples,
)
from kb_assistant.policy.neighbours import Neighbours, Owners, owners_of
from kb_assistant.ports import Embedder

log = logging.getLogger(__name__)

# Bump when training changes in a way the key would not otherwise see.
TRAINING_REVISION = "lr-3"
Matrix = npt.NDArray[np.float64]


class PolicyModel:
    """Class probabilities for a message, from its embedding and the regression weights."""

    def __init__(
        self,
        embedder: Embedder,
        components: Sequence[str],
        coef: Matrix,
        intercept: Matrix,
        *,
        key: str,
        max_chars: int,
        trained_now: bool = False,
        neighbours: Neighbours | None = None,
    ) -> None:
        self.embedder = embedder
        self.components = tuple(components)  # "<class>#<cluster>", one per regression row
        owners = [component.split("#", 1)[0] for component in self.components]
        self._membership = np.array(
            [[owner == label for owner in owners] for label in POLICY_CLASSES], dtype=np.float64
        )
        self.coef = np.asarray(coef, dtype=np.float64)
        self.intercept = np.asarray(intercept, dtype=np.float64)
        self.key = key
        self.max_chars = max_chars
        self.trained_now = trained_now
        self.neighbours = neighbours

    @property
    def short_id(self) -> str:
        """Names this model in decisions and the audit ("model:<short_id>")."""
        return f"{TRAINING_REVISION}-{self.key[:8]}"

    def predict(self, message: str) -> dict[PolicyClass, float]:
        """Probability of each policy class for one message (classes never trained on get 0)."""
        return self.predict_many([message])[0]

    def predict_many(self, messages: Sequence[str]) -> list[dict[PolicyClass, float]]:
        """`predict` for many messages, embedded in one batch."""
        if not messages:
            return []
        embedded = self.embedder.embed_documents([m[: self.max_chars] for m in messages])
        vectors = np.asarray(embedded, dtype=np.float64)
        logits = vectors @ self.coef.T + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        weights = np.exp(logits)
        per_class = (weights / weights.sum(axis=1, keepdims=True)) @ self._membership.T
        if self.neighbours is not None:
            per_class = self.neighbours.blend(per_class, vectors)
        return [dict(zip(POLICY_CLASSES, map(float, row), strict=True)) for row in per_class]


@dataclass(frozen=True)
class TrainingSet:
    """What a model is trained on, and the key that names the result."""

    examples: tuple[Example, ...]
    key: str


def training_set(
    embedder: Embedder,
    config: PolicyConfig,
    *,
    extra: Path | None = None,
    examples_dir: Path = EXAMPLES_DIR,
) -> TrainingSet:
    """The shipped examples plus the operator's extra file, and their cache key."""
    examples = load_examples(examples_dir)
    if extra is not None:
        examples += read_examples(extra)
    digest = hashlib.sha256()
    for part in (TRAINING_REVISION, embedder.model_id, config.version):
        digest.update(part.encode() + b"\0")
    digest.update(f"{config.model.regularisation}/{config.model.cluster_size}\0".encode())
    for example in examples:
        digest.update(f"{example.label}\t{example.text}\n".encode())
    return TrainingSet(tuple(examples), digest.hexdigest())


def train(
    embedder: Embedder,
    config: PolicyConfig,
    *,
    cache_dir: Path | None,
    extra: Path | None = None,
    examples_dir: Path = EXAMPLES_DIR,
) -> PolicyModel:
    """The policy model for these examples: from the cache when it holds one, else trained now.

    `cache_dir` None trains without caching (the model lives only in memory).
    """
    data = training_set(embedder, config, extra=extra, examples_dir=examples_dir)
    fitted = _load(cache_dir, data.key) if cache_dir is not None else None
    trained_now = fitted is None
    if fitted is None:
        started = time.perf_counter()
        fitted = _fit(embedder, data.examples, config)
        seconds = time.perf_counter() - started
        log.info("trained the policy model on %d examples in %.1f s", len(data.examples), seconds)
        if cache_dir is not None:
            _save(cache_dir, data, embedder, config, fitted, seconds)
    return PolicyModel(
        embedder,
        fitted.components,
        fitted.coef,
        fitted.intercept,
        key=data.key,
        max_chars=config.model.max_chars,
        trained_now=trained_now,
        neighbours=_neighbours(fitted, config),
    )


def _neighbours(fitted: Fitted, config: PolicyConfig) -> Neighbours | None:
    """The nearest-example vote as the policy configures it (None when turned off)."""
    settings = config.model
    if settings.neighbours <= 0:
        return None
    return Neighbours(
        fitted.vectors,
        fitted.owners,
        settings.neighbours,
        settings.neighbour_temperature,
        settings.neighbour_weight,
    )


@dataclass(frozen=True)
class Fitted:
    """Regression weights, one row per sub-class ("<class>#<cluster>"), and the examples'
    vectors and classes for the nearest-example vote."""

    components: tuple[str, ...]
    coef: Matrix
    intercept: Matrix
    vectors: npt.NDArray[np.float32]
    owners: Owners


def _fit(embedder: Embedder, examples: Sequence[Example], config: PolicyConfig) -> Fitted:
    from sklearn.linear_model import LogisticRegression

    embedded = embedder.embed_documents([e.text for e in examples])
    vectors = np.asarray(embedded, dtype=np.float64)
    labels = _sub_classes(vectors, [e.label for e in examples], config.model.cluster_size)
    regression = LogisticRegression(C=config.model.regularisation, max_iter=3000)
    regression.fit(vectors, labels)
    components = tuple(str(c) for c in regression.classes_)
    coef = np.asarray(regression.coef_, dtype=np.float64)
    intercept = np.asarray(regression.intercept_, dtype=np.float64)
    if len(components) == 2:  # scikit-learn keeps one row for two classes
        coef = np.vstack([-coef[0] / 2, coef[0] / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
    owners = owners_of([e.label for e in examples])
    return Fitted(components, coef, intercept, np.asarray(embedded, dtype=np.float32), owners)


def _sub_classes(vectors: Matrix, labels: Sequence[PolicyClass], cluster_size: int) -> list[str]:
    """Each example's "<class>#<cluster>": k-means within each class, about `cluster_size`
    examples per cluster (deterministic: fixed seed)."""
    from sklearn.cluster import KMeans

    result = [f"{label}#0" for label in labels]
    for label in dict.fromkeys(labels):
        rows = [i for i, owner in enumerate(labels) if owner == label]
        clusters = len(rows) // cluster_size
        if clusters < 2:
            continue
        kmeans = KMeans(n_clusters=clusters, n_init=4, random_state=0).fit(vectors[rows])
        for row, cluster in zip(rows, kmeans.labels_, strict=True):
            result[row] = f"{label}#{cluster}"
    return result


def _paths(cache_dir: Path, key: str) -> tuple[Path, Path]:
    stem = cache_dir / f"model-{key[:16]}"
    return stem.with_suffix(".npz"), stem.with_suffix(".json")


def _save(
    cache_dir: Path,
    data: TrainingSet,
    embedder: Embedder,
    config: PolicyConfig,
    fitted: Fitted,
    seconds: float,
) -> None:
    """Cache the weights; a cache that cannot be written costs a retrain later, nothing more."""
    meta = {
        "key": data.key,
        "components": list(fitted.components),
        "embedding_model": embedder.model_id,
        "policy_version": config.version,
        "training_revision": TRAINING_REVISION,
        "examples": {c: sum(e.label == c for e in data.examples) for c in POLICY_CLASSES},
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(seconds, 2),
    }
    weights_path, meta_path = _paths(cache_dir, data.key)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        # Private temporary files renamed into place: readers and concurrent trainers never
        # see half a file.
        with tempfile.NamedTemporaryFile(dir=cache_dir, suffix=".npz", delete=False) as out:
            np.savez(
                out,
                coef=fitted.coef,
                intercept=fitted.intercept,
                vectors=fitted.vectors,
                owners=fitted.owners,
            )
        with tempfile.NamedTemporaryFile(
            "w", dir=cache_dir, suffix=".json", delete=False, encoding="utf-8"
        ) as text:
            text.write(json.dumps(meta, indent=2) + "\n")
        Path(out.name).replace(weights_path)
        Path(text.name).replace(meta_path)
    except OSError as exc:
        log.warning("could not cache the policy model in %s: %s", cache_dir, exc)


def _load(cache_dir: Path, key: str) -> Fitted | None:
    weights_path, meta_path = _paths(cache_dir, key)
    if not (weights_path.is_file() and meta_path.is_file()):
        return None
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        with np.load(weights_path, allow_pickle=False) as arrays:
            coef, intercept = arrays["coef"], arrays["intercept"]
            vectors, owners = arrays["vectors"], arrays["owners"]
    except (OSError, ValueError, KeyError) as exc:
        log.warning("ignoring unreadable policy model cache %s: %s", weights_path, exc)
        return None
    components = tuple(str(c) for c in meta.get("components", ()))
    classes = {c.split("#", 1)[0] for c in components}
    consistent = (
        meta.get("key") == key
        and coef.shape[0] == len(components)
        and not classes - set(POLICY_CLASSES)
        and vectors.shape == (len(owners), coef.shape[1])
        and bool(np.all((owners >= 0) & (owners < len(POLICY_CLASSES))))
    )
    if not consistent:
        log.warning("ignoring policy model cache %s: it does not match its metadata", weights_path)
        return None
    return Fitted(components, coef, intercept, vectors.astype(np.float32), owners.astype(np.int64))
