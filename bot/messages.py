"""The gateway's own texts for residents: `bot/messages.yml`, each key overridable by a city folder's
`city/messages.yml`.

The dialogue's texts are the responses of domain.yml (rendered by Rasa); these are what the gateway says by
itself: the replies to stickers and unreadable messages, the friend greeting, the notice when Rasa is down, the
status pushes of reports. A `Messages` is loaded once per city folder (`for_city`) and passed to what speaks.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bot.settings import Settings

DEFAULTS = Path(__file__).with_name("messages.yml")

Text = str | list[str]


class MessagesError(ValueError):
    """A messages file the gateway cannot use; the message says the file, the key and the fix."""


def placeholders(text: Text) -> set[str]:
    """The `{name}` placeholders of a text (of every item of a list)."""
    items = text if isinstance(text, list) else [text]
    return {name for item in items for _, name, _, _ in string.Formatter().parse(item) if name}


def _read(path: Path) -> dict[str, Text]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise MessagesError(f"{path}: YAML として読めません ({exc}). / not valid YAML") from exc
    if not isinstance(raw, dict):
        raise MessagesError(f"{path}: 「キー: 文言」の形で書いてください。 / expected a mapping of key: text")
    texts: dict[str, Text] = {}
    for key, value in raw.items():
        if isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            texts[str(key)] = value
        else:
            raise MessagesError(f"{path}: {key} の文言は文字列（または文字列のリスト）にしてください。 / "
                                f"{key}: a text or a list of texts")  # fmt: skip
    return texts


@dataclass(frozen=True)
class Messages:
    texts: dict[str, Text]

    @classmethod
    def load(cls, override: Path | None = None) -> Messages:
        """The default texts, with those of `override` (when the file exists) in their place. An override with
        an unknown key, another shape (text vs list) or a placeholder its key does not have is refused."""
        texts = _read(DEFAULTS)
        if override is None or not override.is_file():
            return cls(texts)
        for key, value in _read(override).items():
            if key not in texts:
                raise MessagesError(f"{override}: {key} という文言はありません。bot/messages.yml のキーを使ってください。"
                                    f" / unknown key {key}")  # fmt: skip
            if isinstance(value, list) != isinstance(texts[key], list):
                shape = "リスト" if isinstance(texts[key], list) else "文字列"
                raise MessagesError(f"{override}: {key} は{shape}で書いてください。 / {key}: wrong shape")
            extra = placeholders(value) - placeholders(texts[key])
            if extra:
                raise MessagesError(f"{override}: {key} では {{{'}, {'.join(sorted(extra))}}} は使えません"
                                    f"（使えるのは {sorted(placeholders(texts[key]))}）。 / unknown placeholder")  # fmt: skip
            texts[key] = value
        return cls(texts)

    def text(self, key: str, **values: Any) -> str:
        """The text of `key` with its placeholders filled."""
        text = self.texts[key]
        if not isinstance(text, str):
            raise TypeError(f"{key} is a list of texts: use texts()")
        return text.format(**values)

    def texts_of(self, key: str, **values: Any) -> list[str]:
        """The texts of a list key, each with its placeholders filled."""
        items = self.texts[key]
        return [t.format(**values) for t in (items if isinstance(items, list) else [items])]


@cache
def for_city(messages_file: Path | None = None) -> Messages:
    """The texts for a city whose override file is `messages_file` (None: the defaults), loaded once."""
    return Messages.load(messages_file)


def default_messages() -> Messages:
    return for_city(None)


def for_settings(settings: Settings) -> Messages:
    """The texts for the configured city folder (its city/messages.yml, when it has one)."""
    folder = settings.city_folder()
    return for_city(folder.messages if folder is not None else None)
