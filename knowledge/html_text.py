"""HTML that cities leave in their spreadsheet cells (``<br />``, ``<a href="tel:…">``, ``<p>``, ``&nbsp;``) turned
into the plain text residents are sent: line breaks kept, every link's address kept after its text
(``<a href="tel:0123">窓口</a>`` → ``窓口 (tel:0123)``).

Only cells that look like HTML are touched (:func:`looks_like_html`: a known tag or an entity), so an answer that
merely says ``3歳<5歳`` or ``A&B`` stays as it is.
"""

from __future__ import annotations

import re
from html.entities import html5
from html.parser import HTMLParser

__all__ = ["html_to_text", "looks_like_html"]

_TAGS = (
    "a|abbr|b|big|blockquote|br|center|code|dd|div|dl|dt|em|font|h[1-6]|hr|i|img|li|ol|p|pre|s|script|small|span"
    "|strong|style|sub|sup|table|tbody|td|tfoot|th|thead|tr|u|ul"
)
_TAG = re.compile(rf"</?(?:{_TAGS})(?:\s[^<>]*)?/?\s*>", re.IGNORECASE)
_ENTITY = re.compile(r"&(#\d{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{1,31};)")
_BLOCKS = frozenset(
    [
        "blockquote",
        "center",
        "dd",
        "div",
        "dl",
        "dt",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "ol",
        "p",
        "pre",
        "table",
        "tbody",
        "tfoot",
        "thead",
        "tr",
        "ul",
    ]
)
# A line break typed right after a <br> or a block tag is the same break, not a second one.
_BREAK_THEN_NEWLINE = re.compile(
    rf"(<br\s*/?\s*>|</?(?:{'|'.join(sorted(_BLOCKS))}|li)\b[^<>]*>)[ \t]*\r?\n", re.IGNORECASE
)
# Addresses a resident cannot use (scripts, data, a place on the same page): the link's text stays alone.
_UNSAFE_LINK = re.compile(r"^\s*(?:(?:javascript|vbscript|data):|#|$)", re.IGNORECASE)


def looks_like_html(text: str) -> bool:
    """True when ``text`` holds an HTML tag we know or a character entity (``&amp;``, ``&#12354;``)."""
    if _TAG.search(text):
        return True
    return any(m.group(1).startswith("#") or m.group(1) in html5 for m in _ENTITY.finditer(text))


def html_to_text(text: str) -> str:
    """Plain text of an HTML fragment: ``<br>`` and block ends become line breaks, ``<li>`` a ``・`` line, a link
    ``text (address)`` (the address alone when it is the text; dropped when it is ``#`` or ``javascript:``),
    an image its ``alt``; scripts and styles vanish; entities are decoded."""
    parser = _TextParser()
    parser.feed(_BREAK_THEN_NEWLINE.sub(r"\1", text))
    parser.close()
    return parser.text()


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._out: list[str] = []
        self._links: list[tuple[str, int]] = []  # (href, index in _out where the link's text starts)
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag in ("script", "style"):
            self._hidden += 1
        elif tag == "br":
            self._out.append("\n")
        elif tag == "li":
            self._out.append("\n・")
        elif tag in ("td", "th"):
            self._out.append(" ")
        elif tag in _BLOCKS:
            self._out.append("\n")
        elif tag == "a":
            self._links.append((values.get("href", "").strip(), len(self._out)))
        elif tag == "img" and values.get("alt"):
            self._out.append(values["alt"])

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BLOCKS:
            self._out.append("\n")
        elif tag == "a" and self._links:
            self._close_link(*self._links.pop())

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self._out.append(data)

    def _close_link(self, href: str, start: int) -> None:
        if _UNSAFE_LINK.match(href):
            return
        label = "".join(self._out[start:]).strip()
        if not label:
            self._out.append(href)
        elif _same_address(label, href):
            return
        else:
            self._out.append(f" ({href})")

    def text(self) -> str:
        while self._links:  # an <a> never closed still keeps its address
            self._close_link(*self._links.pop())
        joined = "".join(self._out).replace("\xa0", " ").replace("\r\n", "\n")
        lines = [re.sub(r"[ \t]+", " ", line).strip() for line in joined.split("\n")]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _same_address(label: str, href: str) -> bool:
    """The link's text already is its address (``0123`` for ``tel:0123``, the URL itself)."""
    bare = re.sub(r"^(?:tel|mailto):", "", href, flags=re.IGNORECASE)

    def squeeze(value: str) -> str:
        return re.sub(r"[\s\-‐－ー()（）]", "", value).lower().rstrip("/")

    return squeeze(label) in (squeeze(href), squeeze(bare))
