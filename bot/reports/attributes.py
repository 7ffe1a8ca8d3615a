"""Report attributes: the questions a report category asks beyond place, photo and description (Open311 service
definitions), and the answers an Open311 client sends, checked and turned into lines staff read.

The questions live in `report_attributes.json` beside the category table (`{"<category code>": [question,
…]}`); a city without the file has none, and every service then says `metadata: false`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
LISTS = ("singlevaluelist", "multivaluelist")
FILE_NAME = "report_attributes.json"
ANSWER_MAX = 500


class AnswerRejected(ValueError):
    """An answer that does not fit its question; the message names the attribute code (English, for developers)."""


@dataclass(frozen=True)
class AttributeValue:
    key: str
    name: str


@dataclass(frozen=True)
class Attribute:
    """One question, with the GeoReport v2 attribute fields; `label` is the short name staff see."""

    code: str
    datatype: str
    description: str
    label: str
    order: int
    required: bool = False
    datatype_description: str = ""
    values: tuple[AttributeValue, ...] = ()
    variable: bool = True

    def value_name(self, key: str) -> str | None:
        return next((v.name for v in self.values if v.key == key), None)


@dataclass(frozen=True)
class AttributeTable:
    by_category: Mapping[str, tuple[Attribute, ...]]

    def of(self, category_code: str) -> tuple[Attribute, ...]:
        return self.by_category.get(category_code, ())


def attributes_file(categories_file: Path) -> Path:
    """Where a city keeps its questions: beside its category table."""
    return Path(categories_file).with_name(FILE_NAME)


def _attribute(raw: Mapping, order: int) -> Attribute:
    datatype = str(raw.get("datatype", "string"))
    if datatype not in DATATYPES:
        raise ValueError(f"{raw.get('code')}: datatype must be one of {', '.join(DATATYPES)}")
    values = tuple(AttributeValue(str(v["key"]), str(v["name"])) for v in raw.get("values", []))
    if (datatype in LISTS) != bool(values):
        raise ValueError(f"{raw.get('code')}: values are for the list datatypes, and those need values")
    description = str(raw["description"])
    return Attribute(
        code=str(raw["code"]),
        datatype=datatype,
        description=description,
        label=str(raw.get("label") or description),
        order=order,
        required=bool(raw.get("required", False)),
        datatype_description=str(raw.get("datatype_description", "")),
        values=values,
        variable=bool(raw.get("variable", True)),
    )


@lru_cache(maxsize=8)
def load_attributes(path: Path) -> AttributeTable:
    """The questions per category code (cached per path); no file = no questions."""
    if not Path(path).exists():
        return AttributeTable({})
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        table = {
            str(code): tuple(_attribute(raw, i) for i, raw in enumerate(items, start=1))
            for code, items in data.items()
            if not code.startswith("_")
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(
            f"cannot read report attributes from {path}: {exc} (通報の追加質問の設定ファイルを読み込めません)"
        ) from exc
    return AttributeTable(table)


def _checked(attribute: Attribute, given: Sequence[str]) -> str:
    """The answer as staff read it; AnswerRejected when it does not fit."""
    if attribute.datatype in LISTS:
        if attribute.datatype == "singlevaluelist" and len(given) > 1:
            raise AnswerRejected(f"attribute[{attribute.code}] takes one value")
        names = [attribute.value_name(key) for key in given]
        if any(name is None for name in names):
            keys = ", ".join(v.key for v in attribute.values)
            raise AnswerRejected(f"attribute[{attribute.code}] must be one of: {keys}")
        return "、".join(name for name in names if name)
    value = given[0]
    if len(given) > 1 or len(value) > ANSWER_MAX:
        raise AnswerRejected(
            f"attribute[{attribute.code}] takes one value of at most {ANSWER_MAX} characters"
        )
    try:
        if attribute.datatype == "number":
            float(value)
        elif attribute.datatype == "datetime":
            datetime.fromisoformat(value)
    except ValueError:
        raise AnswerRejected(f"attribute[{attribute.code}] must be a {attribute.datatype}") from None
    return value


def answers_text(attributes: Sequence[Attribute], answers: Mapping[str, Sequence[str]]) -> str:
    """Check the answers (attribute code -> values; unknown codes are ignored) and give one line per answered
    question, "label: answer", for the case's description. AnswerRejected on a missing required answer or one
    that does not fit."""
    lines = []
    for attribute in sorted(attributes, key=lambda a: a.order):
        given = [v.strip() for v in answers.get(attribute.code, ()) if v.strip()]
        if not given:
            if attribute.required:
                raise AnswerRejected(f"attribute[{attribute.code}] is required")
            continue
        lines.append(f"{attribute.label}: {_checked(attribute, given)}")
    return "\n".join(lines)
