"""Grouping similar questions (e.g. the unanswered log) by cosine similarity of their embeddings.

Pure function over a matrix of vectors: no storage, no model. Greedy centroid clustering followed by one
reassignment pass, which is deterministic, O(n·k) and good enough for a few thousand short questions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Cluster", "cluster_vectors"]


@dataclass(frozen=True)
class Cluster:
    """Row indices of one group, the most central member first (``members[0] == center``)."""

    members: list[int]
    center: int
    cohesion: float  # mean cosine of the members to the group's centroid

    @property
    def size(self) -> int:
        return len(self.members)


def _normalise(vectors: np.ndarray) -> np.ndarray:
    matrix = np.asarray(vectors, dtype=np.float32)
    if matrix.ndim != 2:
        raise ValueError(f"expected a 2-D matrix of vectors, got shape {matrix.shape}")
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms


def _centroids(unit: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    sums = np.zeros((k, unit.shape[1]), dtype=np.float32)
    np.add.at(sums, labels, unit)
    return _normalise(sums)


def cluster_vectors(
    vectors: np.ndarray, threshold: float = 0.8, weights: list[float] | None = None
) -> list[Cluster]:
    """Cluster rows whose cosine to their group's centroid is at least ``threshold``.

    Pass 1 visits rows in order and joins each to the nearest existing centroid (if close enough) or opens a
    new group. Pass 2 moves every row to its nearest final centroid, so the result depends little on order.
    Groups come back largest first (ties: earliest member first); ``weights`` (e.g. how often the same text
    was asked) count toward the size order only.
    """
    unit = _normalise(vectors)
    n = unit.shape[0]
    if n == 0:
        return []
    sums: list[np.ndarray] = []
    labels = np.empty(n, dtype=np.int64)
    for i in range(n):
        if sums:
            centres = _normalise(np.vstack(sums))
            sims = centres @ unit[i]
            best = int(np.argmax(sims))
            if sims[best] >= threshold:
                sums[best] = sums[best] + unit[i]
                labels[i] = best
                continue
        sums.append(unit[i].copy())
        labels[i] = len(sums) - 1
    centres = _centroids(unit, labels, len(sums))
    sims = unit @ centres.T
    nearest = np.argmax(sims, axis=1)
    keep = sims[np.arange(n), nearest] >= threshold
    labels = np.where(keep, nearest, labels)
    # Renumber the groups that survived, then recompute centroids once more.
    used = sorted(set(labels.tolist()))
    remap = {old: new for new, old in enumerate(used)}
    labels = np.array([remap[int(x)] for x in labels], dtype=np.int64)
    centres = _centroids(unit, labels, len(used))
    weight = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    clusters: list[tuple[float, int, Cluster]] = []
    for g in range(len(used)):
        rows = np.flatnonzero(labels == g)
        scores = unit[rows] @ centres[g]
        order = sorted(range(len(rows)), key=lambda j: (-float(scores[j]), int(rows[j])))
        members = [int(rows[j]) for j in order]
        cluster = Cluster(members=members, center=members[0], cohesion=float(np.mean(scores)))
        clusters.append((float(weight[rows].sum()), int(rows.min()), cluster))
    clusters.sort(key=lambda item: (-item[0], item[1]))
    return [c for _, _, c in clusters]
