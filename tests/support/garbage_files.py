"""A small 5374.jp data directory for the garbage tests: real-shaped rows (Kanazawa-style header and centre file,
Ibaraki-style month limits) that each test may override file by file."""

from __future__ import annotations

from pathlib import Path

DEMO = Path(__file__).resolve().parents[2] / "knowledge" / "data" / "city"

AREA_DAYS = """地名,センター,燃やすごみ,燃やさないごみ,資源,びん,粗大ごみ
東部A,東部管理センター,月 木,水2,火1 火3,金4:4 6 8 10 12 2,20260512 20260908
東部B,東部管理センター,火 金 *1,水4,隔水20260408,木2,
西部A,西部管理センター,水 土,月1,火2 火4,金2:1 2 3,20260519
"""
CENTER = """名称,休止開始日,休止終了日
東部管理センター,2026/12/29,2027/1/3
西部管理センター,12/31,1/3
"""
TARGET = """type,name,notice,furigana
燃やすごみ,生ごみ,水を切る,なまごみ
燃やさないごみ,スプレー缶,使い切る,すぷれーかん
資源,ペットボトル,キャップを外す,ぺっとぼとる
資源,新聞紙,ひもでしばる,しんぶんし
びん,ビールびん,,びーるびん
粗大ごみ,自転車（子供用）,申込制,じてんしゃ
"""
DESCRIPTION = """label,sublabel,description,styles,bgcolor
燃やすごみ,,,,#ff0000
燃やさないごみ,,,,#0000ff
資源,,,,#00ff00
びん,,,,#00ffff
粗大ごみ,,,,#777777
"""
REMARKS = "ID,注意事項\n1,一部の通りは収集時刻が早まります。\n"


def write_dir(tmp_path: Path, **overrides: str) -> Path:
    """Write the five files into ``tmp_path``; ``area_days_csv="…"`` replaces ``area_days.csv``."""
    files = {
        "area_days.csv": AREA_DAYS,
        "center.csv": CENTER,
        "target.csv": TARGET,
        "description.csv": DESCRIPTION,
        "remarks.csv": REMARKS,
    }
    files.update({k.replace("_csv", ".csv"): v for k, v in overrides.items()})
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path
