"""The skeleton `madoguchi city init` writes: every file, one example row each, read by the bot's readers."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from bot.cli.city_files import check_folder
from bot.cli.city_skeleton import FILES, write_skeleton
from knowledge.city import CityFolder


def test_every_csv_has_a_header_and_an_example_row(tmp_path: Path) -> None:
    written = write_skeleton(tmp_path / "t", "ためし村")
    for rel in FILES:
        assert tmp_path / "t" / rel in written
        rows = list(csv.reader((tmp_path / "t" / rel).open(encoding="utf-8")))
        assert len(rows) >= 2 and rows[0] and rows[1], rel
    assert CityFolder(tmp_path / "t").profile().name == "ためし村"
    assert [p for p in check_folder(tmp_path / "t") if p.error] == []
    readme = (tmp_path / "t" / "README.md").read_text(encoding="utf-8")
    assert all(Path(rel).name in readme for rel in FILES)


def test_an_existing_city_folder_is_not_overwritten(tmp_path: Path) -> None:
    write_skeleton(tmp_path, "ためし村")
    with pytest.raises(FileExistsError):
        write_skeleton(tmp_path, "ためし村")
