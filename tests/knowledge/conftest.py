"""A small fixture FAQ for the knowledge tests (deterministic hashing embedder, real FAISS)."""

from __future__ import annotations

from datetime import date

import pytest

from knowledge.embedders import HashingEmbedder
from knowledge.kb import FaqEntry
from knowledge.search import FaqSearcher


def _entry(id: str, question: str, answer: str, **extra) -> FaqEntry:  # type: ignore[no-untyped-def]
    return FaqEntry(
        id=id,
        question=question,
        answer=answer,
        category="くらし",
        department="市民課",
        url=f"https://www.city.example.jp/{id}.html",
        **extra,
    )


FIXTURE_ENTRIES = [
    _entry(
        "juminhyo",
        "住民票の写しを取りたい",
        "住民票の写しは市民課窓口またはコンビニで取得できます。1通300円です。",
        alt_questions=["住民票はどこでもらえますか"],
        keywords=["住民票", "証明書"],
        answer_en="You can get a copy of your residence record at the Citizens Division or a convenience store.",
    ),
    _entry(
        "sodai-gomi",
        "粗大ごみの出し方を知りたい",
        "粗大ごみは事前申込制です。粗大ごみ受付センターに電話で申し込んでください。",
        alt_questions=["大きいゴミはどうやって捨てますか", "家具を捨てたい"],
        keywords=["粗大ごみ", "家具", "布団"],
    ),
    _entry(
        "moving-in",
        "引っ越してきたときの手続きは",
        "転入届は引っ越してから14日以内に市民課へ届け出てください。",
        alt_questions=["転入の届出をしたい"],
        keywords=["転入", "引越"],
    ),
    _entry(
        "mynumber",
        "マイナンバーカードを申し込みたい",
        "マイナンバーカードの申請は郵送、スマートフォン、窓口でできます。",
        alt_questions=["マイナンバーカードの作り方"],
        keywords=["マイナンバー", "個人番号カード"],
    ),
    _entry(
        "josetsu",
        "除雪車はいつ来ますか",
        "除雪車は積雪10センチを超えると出動します。道路課へお問い合わせください。",
        alt_questions=["雪かきの車が来ない"],
        keywords=["除雪", "雪"],
    ),
    _entry(
        "hoikuen",
        "保育園に入りたい",
        "保育園の入園申込は子育て支援課で受け付けています。",
        alt_questions=["保育所の申込方法"],
        keywords=["保育園", "保育所", "入園"],
    ),
    _entry(
        "inkan",
        "印鑑登録をしたい",
        "印鑑登録は本人が登録する印鑑と本人確認書類を持って市民課へ。",
        alt_questions=["実印を登録したい"],
        keywords=["印鑑", "実印"],
    ),
    _entry(
        "kokuho",
        "国民健康保険に加入したい",
        "会社を辞めたときは14日以内に国民健康保険の加入手続きをしてください。",
        alt_questions=["国保の手続き"],
        keywords=["国保", "健康保険"],
    ),
    _entry(
        "inu",
        "犬の登録をしたい",
        "犬を飼い始めたら30日以内に登録と狂犬病予防注射が必要です。",
        alt_questions=["犬を飼い始めた"],
        keywords=["犬", "狂犬病"],
    ),
    _entry(
        "old-campaign",
        "プレミアム商品券を買いたい",
        "プレミアム商品券の販売は終了しました。",
        keywords=["商品券"],
        valid_to=date(2020, 3, 31),
    ),
    _entry(
        "future-event",
        "来年の成人式はいつですか",
        "成人式は1月の第2日曜日です。",
        keywords=["成人式"],
        valid_from=date(2100, 1, 1),
    ),
]


@pytest.fixture(scope="session")
def fixture_entries() -> list[FaqEntry]:
    return list(FIXTURE_ENTRIES)


@pytest.fixture(scope="session")
def hashing_searcher() -> FaqSearcher:
    searcher = FaqSearcher(HashingEmbedder())
    searcher.rebuild(list(FIXTURE_ENTRIES))
    return searcher
