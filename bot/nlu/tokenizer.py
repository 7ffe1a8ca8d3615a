"""Japanese tokenizer for Rasa 3 over fugashi (MeCab) + unidic-lite.

The text is NFKC-normalised before MeCab sees it (全角英数 → ASCII, 半角ｶﾅ → カナ), but every token keeps its
offsets in the *original* text, so entity values Rasa slices out of the message stay exactly what the resident
typed. Token features are made script-insensitive where it helps:

- ``token.text``: the normalised surface, lower-cased, katakana folded to hiragana (ゴミ/ごみ share n-grams);
- ``token.lemma``: the hiragana reading of the dictionary form (unidic ``lForm``), so 出し/出す/出します,
  ゴミ/ごみ/塵 and IME slips such as 除雪者/除雪車 collapse onto one word feature;
- ``token.data["pos"]``: ``品詞大分類-中分類`` (``UNK-…`` for words outside the dictionary: romaji
  mashing, emoji), read by the LexicalSyntacticFeaturizer;
- ``token.data["reading"]``: the hiragana reading of the surface.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

POS_TAG_KEY = "pos"
READING_KEY = "reading"
_KATAKANA_FIRST, _KATAKANA_LAST = 0x30A1, 0x30F6  # ァ … ヶ
_KANA_SHIFT = 0x60  # ア (U+30A2) − あ (U+3042)


def to_hiragana(text: str) -> str:
    """Fold katakana to hiragana; everything else is left as it is."""
    return "".join(
        chr(ord(ch) - _KANA_SHIFT) if _KATAKANA_FIRST <= ord(ch) <= _KATAKANA_LAST else ch for ch in text
    )


def fold(text: str) -> str:
    """The script-insensitive form used for features: lower case, katakana → hiragana."""
    return to_hiragana(text.lower())


def normalize_with_offsets(text: str) -> tuple[str, list[tuple[int, int]]]:
    """NFKC-normalise ``text``; return it with the original ``(start, end)`` span of every output character.

    A base character and the marks that compose with it (e.g. ｶ + ﾞ → ガ) are normalised as one cluster.
    """
    clusters: list[tuple[int, int]] = []
    for index, char in enumerate(text):
        decomposed = unicodedata.normalize("NFKD", char)
        if clusters and decomposed and unicodedata.combining(decomposed[0]):
            clusters[-1] = (clusters[-1][0], index + 1)
        else:
            clusters.append((index, index + 1))
    pieces: list[str] = []
    spans: list[tuple[int, int]] = []
    for start, end in clusters:
        piece = unicodedata.normalize("NFKC", text[start:end])
        pieces.append(piece)
        spans.extend([(start, end)] * len(piece))
    return "".join(pieces), spans


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class JapaneseTokenizer(Tokenizer):
    """Splits Japanese (and mixed Japanese/English) text into words with MeCab + UniDic."""

    @staticmethod
    def supported_languages() -> list[str] | None:
        return ["ja"]

    @staticmethod
    def required_packages() -> list[str]:
        return ["fugashi", "unidic_lite"]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            # Not supported: splitting normalised tokens again would break the offsets.
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        import fugashi  # imported here so that importing this module stays cheap

        self._tagger = fugashi.Tagger()

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> JapaneseTokenizer:
        return cls(config)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        text = message.get(attribute) or ""
        normalized, spans = normalize_with_offsets(text)
        tokens: list[Token] = []
        cursor = 0
        for word in self._tagger(normalized):
            surface = word.surface
            position = normalized.find(surface, cursor)
            if not surface or position < 0:
                continue
            cursor = position + len(surface)
            start, end = spans[position][0], spans[cursor - 1][1]
            tokens.append(self._make_token(word, surface, start, end))
        return tokens

    @staticmethod
    def _make_token(word: Any, surface: str, start: int, end: int) -> Token:
        feature = word.feature
        pos = "-".join(part for part in (feature.pos1, feature.pos2) if part and part != "*") or "UNK"
        if word.is_unk:
            pos = f"UNK-{pos}"
        reading = fold(feature.kana) if _known(feature.kana) else fold(surface)
        lemma = fold(feature.lForm) if _known(feature.lForm) else fold(surface)
        return Token(
            fold(surface),
            start,
            end,
            data={POS_TAG_KEY: pos, READING_KEY: reading},
            lemma=lemma,
        )


def _known(value: str | None) -> bool:
    return bool(value) and value != "*"
