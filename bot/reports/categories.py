"""Report categories: label, department, duplicate radius and Open311 code, read from a JSON table."""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

OTHER = "other"


@dataclass(frozen=True)
class ReportCategory:
    code: str
    label: str
    department: str
    duplicate_radius_m: float
    service_code: str
    description: str = ""
    keywords: tuple[str, ...] = ()
    match_priority: int = 100


@dataclass(frozen=True)
class CategoryTable:
    categories: tuple[ReportCategory, ...]
    duplicate_window_days: int = 30
    _by_code: dict[str, ReportCategory] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_code.update({c.code: c for c in self.categories})
        if OTHER not in self._by_code:
            raise ValueError("report categories must include the code 'other' (その他)")

    def get(self, code: str | None) -> ReportCategory:
        """The category with this code, or その他 when unknown."""
        return self._by_code.get(code or "", self._by_code[OTHER])

    def known(self, code: str | None) -> bool:
        return (code or "") in self._by_code

    def by_service_code(self, service_code: str) -> ReportCategory | None:
        return next((c for c in self.categories if c.service_code == service_code), None)

    def match_text(self, text: str) -> ReportCategory | None:
        """Map free text (a quick-reply label or the resident's words) to a category; None if nothing fits.

        The longest matching keyword wins; on equal length the smaller `match_priority`.
        """
        norm = normalize(text)
        if not norm:
            return None
        for cat in self.categories:
            if norm == normalize(cat.label) or norm == cat.code:
                return cat
        best: tuple[int, int, ReportCategory] | None = None
        for cat in self.categories:
            for word in cat.keywords:
                w = normalize(word)
                if w and w in norm:
                    key = (-len(w), cat.match_priority, cat)
                    if best is None or key[:2] < best[:2]:
                        best = key
        return best[2] if best else None


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip().lower()


def _parse(data: dict) -> CategoryTable:
    cats = []
    for item in data.get("categories", []):
        cats.append(
            ReportCategory(
                code=str(item["code"]),
                label=str(item["label"]),
                department=str(item["department"]),
                duplicate_radius_m=float(item.get("duplicate_radius_m", 30)),
                service_code=str(item.get("service_code") or item["code"]),
                description=str(item.get("description", "")),
                keywords=tuple(str(k) for k in item.get("keywords", [])),
                match_priority=int(item.get("match_priority", 100)),
            )
        )
    return CategoryTable(
        categories=tuple(cats), duplicate_window_days=int(data.get("duplicate_window_days", 30))
    )


@lru_cache(maxsize=8)
def load_categories(path: Path) -> CategoryTable:
    """Read the category table (cached per path; restart the process after editing the file)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(
            f"cannot read report categories from {path}: {exc} (通報の種類の設定ファイルを読み込めません)"
        ) from exc
    return _parse(data)
