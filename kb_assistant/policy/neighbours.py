"""A vote of the nearest labelled examples, blended with the regression's probabilities.

The regression draws one smooth boundary per sub-class, which blurs fine distinctions that
the examples themselves make: "is there a fee for a SWIFT top-up?" (money) beside "do you
support SWIFT transfers?" (a how-to), or "why is this beneficiary not allowed?" beside "my
transfer to my landlord failed". The closest examples to a message know which side it is on.
Each of the `k` nearest examples (cosine similarity of the same embeddings) votes for its
class with weight exp((similarity - best) / temperature), so a near-identical example counts
far more than a loose match; the vote is mixed into the regression's probabilities.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from kb_assistant.core.decisions import POLICY_CLASSES

Matrix = npt.NDArray[np.float64]
Owners = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Neighbours:
    """The labelled examples' unit vectors and classes, and how their vote is taken."""

    vectors: npt.NDArray[np.float32]  # one row per example
    owners: Owners  # each example's class, as an index into POLICY_CLASSES
    k: int
    temperature: float
    weight: float  # share of the vote in the blended probability (0: the regression alone)

    def vote(self, queries: Matrix) -> Matrix:
        """Per query, the share of each policy class in its nearest examples' weighted vote."""
        # numpy's own loop, not BLAS: a BLAS product of this size leaves its worker threads
        # spinning, and they slow the embedding model's next call tenfold on a small machine.
        similarity = np.einsum("qd,nd->qn", queries.astype(np.float32), self.vectors)
        similarity = similarity.astype(np.float64)
        k = max(1, min(self.k, similarity.shape[1]))
        nearest = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
        closeness = np.take_along_axis(similarity, nearest, axis=1)
        weights = np.exp((closeness - closeness.max(axis=1, keepdims=True)) / self.temperature)
        votes = np.zeros((len(queries), len(POLICY_CLASSES)), dtype=np.float64)
        rows = np.repeat(np.arange(len(queries)), k).reshape(len(queries), k)
        np.add.at(votes, (rows, self.owners[nearest]), weights)
        return votes / votes.sum(axis=1, keepdims=True)

    def blend(self, probabilities: Matrix, queries: Matrix) -> Matrix:
        """The regression's per-class probabilities with the vote mixed in at `weight`."""
        if self.weight <= 0 or len(self.owners) == 0:
            return probabilities
        return (1 - self.weight) * probabilities + self.weight * self.vote(queries)


def owners_of(labels: list[str]) -> Owners:
    """Class indices (into POLICY_CLASSES) for example labels."""
    return np.array([POLICY_CLASSES.index(label) for label in labels], dtype=np.int64)
