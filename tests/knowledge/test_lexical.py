import time

import numpy as np

from knowledge.lexical import Bm25Index, char_ngrams


def test_char_ngrams_do_not_cross_spaces() -> None:
    assert char_ngrams("ごみ 日") == ["ご", "み", "ごみ", "日"]
    assert "card" in char_ngrams("card")


def test_ranking_and_normalised_scores() -> None:
    index = Bm25Index().build([[("住民票の写し", 1.0)], [("粗大ごみの出し方", 1.0)], [("犬の登録", 1.0)]])
    results = index.search("粗大ごみ", k=3)
    assert results[0][0] == 1
    assert 0 < results[0][2] <= 1.0
    assert index.search("zzzz", k=3) == []


def test_field_weights_matter() -> None:
    index = Bm25Index().build([[("犬", 1.0)], [("犬", 0.2), ("猫", 1.0)]])
    assert index.search("犬")[0][0] == 0


def test_ten_thousand_documents_fast() -> None:
    rng = np.random.default_rng(0)
    alphabet = list("あいうえおかきくけこさしすせそたちつてと住民票粗大ごみ犬猫登録申込手続保険税金")
    docs = [[("".join(rng.choice(alphabet, 30)), 1.0)] for _ in range(10_000)]
    index = Bm25Index().build(docs)
    timings = []
    for _ in range(30):
        started = time.perf_counter()
        index.search("住民票の申込手続きをしたいのですが", k=10)
        timings.append(time.perf_counter() - started)
    assert float(np.percentile(timings, 95)) < 0.08
