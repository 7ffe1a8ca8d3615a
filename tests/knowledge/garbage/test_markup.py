"""HTML in 5374 cells made plain text: line breaks kept, links keep their address, other tags and entities go."""

from __future__ import annotations

import pytest

from knowledge.garbage.markup import has_markup, html_to_text


@pytest.mark.parametrize(
    ("html", "text"),
    [
        (
            "・指定袋に入れてください。<br />・生ごみは水を切る。",
            "・指定袋に入れてください。\n・生ごみは水を切る。",
        ),
        ("年末は<BR>休み", "年末は\n休み"),
        ("<strong>月2回</strong>です", "月2回です"),
        (
            '申込は<a href="https://example.jp/sodai">こちら</a>',
            "申込は こちら（https://example.jp/sodai）".replace(" ", ""),
        ),
        ('電話 <a href="tel:0120-000-531">0120-000-531</a>', "電話 0120-000-531"),
        ("<p>一</p><p>二</p>", "一\n二"),
        ("A&amp;B &lt;注意&gt;", "A&B <注意>"),
        ("1 < 2 のとき", "1 < 2 のとき"),  # no markup: untouched
    ],
)
def test_html_to_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


def test_has_markup() -> None:
    assert has_markup("a<br>b") and has_markup("A&amp;B")
    assert not has_markup("3 < 5 > 1") and not has_markup("ふつうの文")
