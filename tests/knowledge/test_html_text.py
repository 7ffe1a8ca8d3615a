"""HTML left in spreadsheet cells becomes the plain text residents are sent, links kept."""

from __future__ import annotations

import pytest

from knowledge.html_text import html_to_text, looks_like_html


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ('<a href="tel:0123">窓口</a>', "窓口 (tel:0123)"),
        ("受付時間<br />平日<BR>土日休み", "受付時間\n平日\n土日休み"),
        ("一行目<br>\r\n二行目", "一行目\n二行目"),  # the typed line break after <br> is the same break
        ("<p>A</p><p>B&nbsp;C</p>", "A\n\nB C"),
        ("<ul><li>一</li><li>二</li></ul>次", "・一\n・二\n次"),
        ('<a href="https://x.jp/a">https://x.jp/a</a>', "https://x.jp/a"),  # the address is the text
        ('<a href="tel:0123-45-6789">0123-45-6789</a>', "0123-45-6789"),
        ('<a href="mailto:a@x.jp">メール</a>', "メール (mailto:a@x.jp)"),
        ('<a href="javascript:go()">押す</a>', "押す"),  # never sent on
        ('<a href="#top">上へ</a>', "上へ"),
        ('<a href="https://x.jp/b">', "https://x.jp/b"),  # never closed
        ("<script>alert(1)</script>本文<style>p{}</style>", "本文"),
        ('<img src="map.png" alt="地図">を見てください', "地図を見てください"),
        ("<table><tr><td>月</td><td>燃えるごみ</td></tr></table>", "月 燃えるごみ"),
        ("&lt;注意&gt; &amp; &#12354;", "<注意> & あ"),
    ],
)
def test_html_becomes_text_with_its_links(html: str, text: str) -> None:
    assert looks_like_html(html)
    assert html_to_text(html) == text


@pytest.mark.parametrize("text", ["3歳<5歳", "A&B", "AT&T;", "<その他>", "a < b > c", "改行\nだけ"])
def test_plain_text_is_not_taken_for_html(text: str) -> None:
    assert not looks_like_html(text)
