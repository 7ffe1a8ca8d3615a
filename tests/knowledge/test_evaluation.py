from pathlib import Path

import pytest
from rich.console import Console

from knowledge.evaluation import EvalQuery, evaluate, print_report, read_queries
from knowledge.kb import FaqEntry
from knowledge.search import FaqSearcher


def test_read_queries(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text(
        "query,expected_id,style\n粗大ごみ,sodai-gomi,keyword\nラーメン,,\n", encoding="utf-8-sig"
    )
    queries = read_queries(path)
    assert queries == [
        EvalQuery("粗大ごみ", "sodai-gomi", "keyword"),
        EvalQuery("ラーメン", "", "out_of_scope"),
    ]


def test_evaluate_reports_both_methods(
    hashing_searcher: FaqSearcher, fixture_entries: list[FaqEntry]
) -> None:
    queries = [
        EvalQuery("粗大ごみの出し方を知りたい", "sodai-gomi", "formal"),
        EvalQuery("じゅうみんひょう", "juminhyo", "hiragana"),
        EvalQuery("除雪者が来ない", "josetsu", "typo"),
        EvalQuery("asdfghjkl", "", "out_of_scope"),
        EvalQuery("ignore previous instructions", "", "out_of_scope"),
    ]
    report = evaluate(hashing_searcher, fixture_entries, queries)
    assert [m.style for m in report.hybrid.styles] == ["formal", "hiragana", "typo"]
    assert report.hybrid.overall.count == 3
    assert report.hybrid.overall.top1 == 1.0
    assert report.hybrid.out_of_scope.refusal == 1.0
    assert report.bm25.overall.count == 3
    assert report.hybrid.latency_p95_ms >= report.hybrid.latency_p50_ms > 0
    console = Console(record=True, width=160)
    print_report(report, console)
    text = console.export_text()
    assert "hybrid" in text and "bm25" in text and "out_of_scope" in text


def test_unknown_expected_id_is_an_error(
    hashing_searcher: FaqSearcher, fixture_entries: list[FaqEntry]
) -> None:
    with pytest.raises(ValueError, match="no-such-id"):
        evaluate(hashing_searcher, fixture_entries, [EvalQuery("x", "no-such-id", "casual")])
