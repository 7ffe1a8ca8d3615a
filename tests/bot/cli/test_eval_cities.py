"""`madoguchi eval-cities`: leave-one-city-out over city folders, and `--fit` writing the shipped model."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app as cli
from knowledge.kb import FaqEntry
from knowledge.kb_io import write_kb_file
from knowledge.ranker import RankerModel

runner = CliRunner()
TOPICS = [
    ("住民票の写しを取りたい", "市民課の窓口で取れます。"),
    ("粗大ごみを出したい", "電話で予約してください。"),
    ("犬の登録をしたい", "生活環境課で登録します。"),
    ("児童手当を申請したい", "子育て支援課に申請書を出します。"),
    ("国民健康保険に入りたい", "保険年金課で手続きします。"),
]


def _city(folder: Path, prefix: str) -> Path:
    folder.mkdir()
    entries = [FaqEntry(id=f"{prefix}-{i}", question=q, answer=a) for i, (q, a) in enumerate(TOPICS)]
    write_kb_file(entries, folder / "faq.csv")
    lines = ["query,expected_id,style"]
    lines += [f"{q},{prefix}-{i},formal" for i, (q, _) in enumerate(TOPICS)]
    lines += [f"{q[:4]} 方法,{prefix}-{i},keyword" for i, (q, _) in enumerate(TOPICS)]
    lines += ["明日の天気は晴れますか,,oos", "駅前のおいしいラーメン屋,,oos_near"]
    (folder / "queries.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "synonyms.csv").write_text("from,to\nハンコ,印鑑\n", encoding="utf-8")
    return folder


def test_every_city_is_scored_and_the_fitted_model_is_written(tmp_path: Path) -> None:
    cities = [_city(tmp_path / name, name[:2]) for name in ("alpha", "beta", "gamma")]
    model_file = tmp_path / "ranker.json"
    args = ["eval-cities", "--embedder", "hashing", "--second-embedder", "none", "--fit", str(model_file)]
    args += ["--ablation", "--bank"]
    cities_args = [arg for c in cities for arg in ("--city", str(c))]
    result = runner.invoke(cli, [*args, *cities_args], env={"COLUMNS": "300"})  # rich wraps narrow tables
    assert result.exit_code == 0, result.output
    for name in ("alpha", "beta", "gamma", "worst"):
        assert name in result.output
    assert "answered-wrong" in result.output  # the curve
    assert "hand-tuned fusion" in result.output and "pairwise calibrator" in result.output  # the ablation
    assert "question bank" in result.output
    model = RankerModel.load(model_file)
    assert model.fitted_on == ["alpha", "beta", "gamma"] and model.embedder == "hashing-256"
    assert model.bank is not None and model.bank.fitted_on == model.fitted_on
    assert (tmp_path / "ranker.bank.npz").exists()
    assert model.second_embedder == ""


def test_a_city_spec_names_its_files(tmp_path: Path) -> None:
    a = _city(tmp_path / "alpha", "al")
    spec = f"demo={a / 'faq.csv'}:{a / 'queries.csv'}:{a / 'synonyms.csv'}"
    b = _city(tmp_path / "beta", "be")
    result = runner.invoke(
        cli,
        [
            "eval-cities",
            "--embedder",
            "hashing",
            "--second-embedder",
            "none",
            "--city",
            spec,
            "--city",
            str(b),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "demo" in result.output


@pytest.mark.parametrize("spec", ["nowhere", "x=only.csv"])
def test_a_bad_city_is_refused_with_a_clear_message(tmp_path: Path, spec: str) -> None:
    good = _city(tmp_path / "alpha", "al")
    result = runner.invoke(cli, ["eval-cities", "--embedder", "hashing", "--city", spec, "--city", str(good)])
    assert result.exit_code != 0
    assert "faq.csv" in result.output or "NAME=" in result.output


def test_one_city_is_not_enough(tmp_path: Path) -> None:
    good = _city(tmp_path / "alpha", "al")
    result = runner.invoke(cli, ["eval-cities", "--embedder", "hashing", "--city", str(good)])
    assert result.exit_code != 0
