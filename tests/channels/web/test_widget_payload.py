"""The widget stays small and never renders text as HTML."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

from fastapi.testclient import TestClient

STATIC = Path(__file__).resolve().parents[3] / "channels" / "web" / "static"
BUDGET = 60 * 1024


def test_served_widget_assets_fit_the_gzip_budget(client: TestClient) -> None:
    script = client.get("/widget.js").content  # widget.css is inlined into it
    page = client.get("/chat").content
    total = len(gzip.compress(script, 9)) + len(gzip.compress(page, 9))
    assert total <= BUDGET, f"widget payload is {total} bytes gzipped (budget {BUDGET})"
    raw = client.get("/widget.js", headers={"Accept-Encoding": "gzip"})
    assert raw.headers.get("content-encoding") == "gzip"


def test_widget_source_never_parses_text_as_html() -> None:
    source = (STATIC / "widget.js").read_text(encoding="utf-8")
    for banned in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert banned not in source, banned
    assert 'rel: "noopener noreferrer"' in source
    assert re.search(r'url\.protocol === "https:" \|\| url\.protocol === "http:"', source)
