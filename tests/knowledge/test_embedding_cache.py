"""The on-disk cache of passage embeddings, with the deterministic hashing embedder: only new texts are embedded,
the file survives a restart, stale or foreign files are ignored, and writes are atomic."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge.embedders import HashingEmbedder
from knowledge.embedding_cache import EmbeddingCache, atomic_write_bytes, text_hash

TEXTS = ["住民票の写しを取りたい", "粗大ごみの出し方を知りたい", "印鑑登録をしたい"]


class Counting:
    """The hashing embedder's passages, remembering every text and batch it was asked for."""

    def __init__(self, dim: int = 32) -> None:
        self.embedder = HashingEmbedder(dim=dim)
        self.texts: list[str] = []
        self.batches: list[int] = []

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.texts += texts
        self.batches.append(len(texts))
        return self.embedder.embed_passages(texts)


@pytest.fixture
def embed() -> Counting:
    return Counting()


def cache(tmp_path: Path, model: str = "hashing-32", dim: int = 32) -> EmbeddingCache:
    return EmbeddingCache(tmp_path, model, dim)


def test_text_hash_is_stable_and_short() -> None:
    assert text_hash("住民票") == text_hash("住民票")
    assert text_hash("住民票") != text_hash("住民票 ")
    assert len(text_hash("住民票")) == 32


def test_vectors_come_back_in_order_and_equal_the_embedders(tmp_path: Path, embed: Counting) -> None:
    vectors = cache(tmp_path).embed(TEXTS, embed)
    assert vectors.dtype == np.float32 and vectors.shape == (3, 32)
    np.testing.assert_allclose(vectors, embed.embedder.embed_passages(TEXTS), rtol=1e-6)


def test_only_texts_not_cached_are_embedded(tmp_path: Path, embed: Counting) -> None:
    c = cache(tmp_path)
    c.embed(TEXTS[:2], embed)
    embed.texts.clear()
    vectors = c.embed([TEXTS[2], TEXTS[0], TEXTS[2]], embed)
    assert embed.texts == [TEXTS[2]]  # once, although asked twice
    assert (c.hits, c.misses) == (2, 2 + 1)  # the repeat inside one call is a hit too
    np.testing.assert_array_equal(vectors[0], vectors[2])


def test_the_cache_survives_a_restart(tmp_path: Path, embed: Counting) -> None:
    first = cache(tmp_path)
    expected = first.embed(TEXTS, embed)
    first.save()
    assert first.path == tmp_path / "embeddings" / "hashing-32.npz" and first.path.is_file()
    embed.texts.clear()
    again = cache(tmp_path).embed(TEXTS, embed)
    assert embed.texts == []
    np.testing.assert_array_equal(again, expected)


def test_save_with_keep_drops_stale_vectors(tmp_path: Path, embed: Counting) -> None:
    c = cache(tmp_path)
    c.embed(TEXTS, embed)
    c.save(keep=TEXTS[:1])
    embed.texts.clear()
    cache(tmp_path).embed(TEXTS, embed)
    assert sorted(embed.texts) == sorted(TEXTS[1:])


@pytest.mark.parametrize(("model", "dim"), [("another-model", 32), ("hashing-32", 64)])
def test_a_file_of_another_model_or_size_is_ignored(
    tmp_path: Path, embed: Counting, model: str, dim: int
) -> None:
    c = cache(tmp_path)
    c.embed(TEXTS, embed)
    c.save()
    other = EmbeddingCache(tmp_path, model, dim)
    if other.path == c.path:  # same file name, different size: the stored vectors are refused
        other.embed(TEXTS, Counting(dim))
        assert other.misses == len(TEXTS)
    else:
        assert other.path is not None and not other.path.exists()


def test_a_corrupt_file_is_only_a_slower_rebuild(tmp_path: Path, embed: Counting) -> None:
    path = tmp_path / "embeddings" / "hashing-32.npz"
    path.parent.mkdir()
    path.write_bytes(b"not a zip file")
    c = cache(tmp_path)
    c.embed(TEXTS, embed)
    assert sorted(embed.texts) == sorted(TEXTS)
    c.save()
    embed.texts.clear()
    assert cache(tmp_path).embed(TEXTS, embed).shape == (3, 32)
    assert embed.texts == []  # the rewritten file is good


def test_model_names_become_safe_file_names(tmp_path: Path) -> None:
    c = EmbeddingCache(tmp_path, "st:/models/multilingual e5", 32)
    assert c.path == tmp_path / "embeddings" / "st_models_multilingual_e5.npz"


def test_without_a_folder_nothing_is_written(tmp_path: Path, embed: Counting) -> None:
    c = EmbeddingCache(None, "hashing-32", 32)
    c.embed(TEXTS, embed)
    c.save()
    assert c.path is None
    assert list(tmp_path.iterdir()) == []


def test_batches_and_progress(tmp_path: Path, embed: Counting) -> None:
    texts = [f"質問{i}" for i in range(5)]
    seen: list[tuple[int, int]] = []
    cache(tmp_path).embed(texts, embed, batch_size=2, progress=lambda done, total: seen.append((done, total)))
    assert embed.batches == [2, 2, 1]
    assert seen == [(0, 5), (2, 5), (4, 5), (5, 5)]


def test_nothing_to_embed(tmp_path: Path, embed: Counting) -> None:
    vectors = cache(tmp_path).embed([], embed)
    assert vectors.shape == (0, 32) and vectors.dtype == np.float32
    assert embed.batches == []
    c = cache(tmp_path)
    c.save()
    assert cache(tmp_path).embed(TEXTS[:1], embed).shape == (1, 32)  # an empty file loads


def test_atomic_write_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "file.bin"
    atomic_write_bytes(target, b"one")
    atomic_write_bytes(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in target.parent.iterdir()] == ["file.bin"]


def test_a_failed_atomic_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "file.bin"
    target.write_bytes(b"old")
    with pytest.raises(TypeError):
        atomic_write_bytes(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["file.bin"]
