"""knowledge.clustering: greedy centroid clustering by cosine, largest groups first, centre first."""

from __future__ import annotations

import numpy as np
import pytest

from knowledge.clustering import cluster_vectors


def _around(direction: np.ndarray, n: int, rng: np.random.Generator, noise: float = 0.05) -> np.ndarray:
    return direction + noise * rng.standard_normal((n, direction.shape[0]))


def test_groups_similar_vectors_largest_first() -> None:
    rng = np.random.default_rng(7)
    a, b, c = np.eye(16)[0], np.eye(16)[1], np.eye(16)[2]
    vectors = np.vstack([_around(b, 2, rng), _around(a, 5, rng), _around(c, 1, rng), _around(b, 1, rng)])
    clusters = cluster_vectors(vectors, threshold=0.8)
    assert [c.size for c in clusters] == [5, 3, 1]
    assert sorted(clusters[0].members) == [2, 3, 4, 5, 6]
    assert sorted(clusters[1].members) == [0, 1, 8]
    assert all(c.center == c.members[0] for c in clusters)
    assert sorted(i for c in clusters for i in c.members) == list(range(9))  # a partition
    assert all(0.8 <= c.cohesion <= 1.0 + 1e-5 for c in clusters)


def test_centre_is_the_most_central_member() -> None:
    vectors = np.array([[1.0, 0.3], [1.0, 0.0], [1.0, -0.3]])
    (only,) = cluster_vectors(vectors, threshold=0.9)
    assert only.members[0] == 1 and only.center == 1


def test_threshold_controls_granularity() -> None:
    vectors = np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]])
    assert len(cluster_vectors(vectors, threshold=0.99)) == 3
    assert len(cluster_vectors(vectors, threshold=0.0)) == 1


def test_weights_order_groups_and_edge_cases() -> None:
    vectors = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    assert [c.size for c in cluster_vectors(vectors, 0.9)] == [2, 1]
    weighted = cluster_vectors(vectors, 0.9, weights=[10, 1, 1])
    assert weighted[0].members == [0]
    assert cluster_vectors(np.zeros((0, 4))) == []
    zero = cluster_vectors(np.zeros((2, 3)), 0.5)  # zero vectors do not crash
    assert sum(c.size for c in zero) == 2
    with pytest.raises(ValueError):
        cluster_vectors(np.zeros(3))


def test_deterministic() -> None:
    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((60, 8))
    first = cluster_vectors(vectors, 0.5)
    assert [c.members for c in first] == [c.members for c in cluster_vectors(vectors.copy(), 0.5)]
