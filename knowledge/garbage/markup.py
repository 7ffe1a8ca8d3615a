"""Plain text from the HTML that 5374 files carry (``description.csv`` of 佐賀市: ``・指定袋に…<br />・生ごみは…``).

5374 pastes these cells into its web page, so cities write ``<br>``, ``<strong>`` and links. A chat reply
shows text as written, so line breaks become new lines, a link keeps its address (「申込（https://…）」),
other tags go and entities are decoded.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

__all__ = ["has_markup", "html_to_text"]

_TAG = re.compile(r"</?[a-zA-Z][^<>]*>|&(?:[a-zA-Z]+|#\d+|#x[0-9a-fA-F]+);")
_BLOCK = {"br", "p", "div", "li", "tr", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6"}


def has_markup(text: str) -> bool:
    """True when ``text`` holds an HTML tag or entity."""
    return bool(_TAG.search(text))


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._href: list[str] = []
        self._link_start: list[int] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self.parts.append("\n")
        if tag == "a":
            self._href.append(dict(attrs).get("href") or "")
            self._link_start.append(len(self.parts))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK - {"br"}:
            self.parts.append("\n")
        if tag == "a" and self._href:
            href, start = self._href.pop(), self._link_start.pop()
            label = "".join(self.parts[start:]).strip()
            if href.startswith(("tel:", "mailto:")):
                href = href.split(":", 1)[1]
            if href and href not in label:
                self.parts.append(f"（{href}）")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(text: str) -> str:
    """``text`` without markup; unchanged when it has none."""
    if not has_markup(text):
        return text
    parser = _Text()
    parser.feed(text)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    return "\n".join(line for line in lines if line)
