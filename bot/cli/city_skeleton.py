"""The skeleton of a city folder (`madoguchi city init DIR --name 名前`): every file with its header and one
example row, a README (Japanese) saying what each file is. It passes `madoguchi city check` as written; the
example rows are to be replaced with the city's own."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from knowledge.city import CityFolder

DEMO_DATA = Path(__file__).resolve().parents[2] / "knowledge" / "data" / "city"
# The report categories and their extra questions are the same for most cities: copied from the demo city.
COPIED = ("report_categories.json", "report_attributes.json")


def city_json(name: str) -> dict[str, object]:
    site = "https://www.example.lg.jp/"
    return {
        "_note": "市の基本情報。住民への回答に使われます。例の値をすべて市の値に書き換えてください。",
        "name": name,
        "website": site,
        "collect_on_holidays": True,
        "snow_season": {"start": "12-01", "end": "03-31"},
        "emergency": {"label": "救急車・火事", "number": "119"},
        "advice_lines": [
            {
                "label": "救急安心センター",
                "number": "#7119",
                "hours": "24時間",
                "note": "救急車を呼ぶか迷ったときの相談",
            }
        ],  # fmt: skip
        "road_emergency": {"label": "道路の緊急連絡（24時間）", "phone": "0000-00-0001", "hours": "24時間"},
        "water_emergency": {"label": "水道の漏水（24時間）", "phone": "0000-00-0002", "hours": "24時間"},
        "contact": {
            "label": "役所 総合案内",
            "counter": "本庁舎1階 総合案内",
            "phone": "0000-00-0000",
            "hours": "平日 8:30〜17:15",
        },  # fmt: skip
        "pages": {
            "garbage": f"{site}gomi/",
            "clinics": f"{site}kyujitsu/",
            "snowplow": f"{site}josetsu/",
            "faq": f"{site}faq/",
        },  # fmt: skip
    }


FILES = {
    "faq.csv": "id,question,answer,category,department,url,alt_questions,keywords\n"
    "cert-001,住民票の写しはどこで取れますか？,住民票の写しは本庁舎1階の市民課で取れます。受付は平日8:30〜17:15です。,"
    "証明書,市民課,https://www.example.lg.jp/juminhyo/,住民票がほしい,住民票|写し\n",
    "synonyms.csv": "from,to\nハンコ,印鑑\n",
    "city/area_days.csv": "地名,センター,燃やすごみ,燃やさないごみ\n例地区,例清掃センター,月 木,水2\n",
    "city/center.csv": "名称,休止開始日,休止終了日\n例清掃センター,2026/12/31,2027/1/3\n",
    "city/description.csv": "label,sublabel,description,styles,bgcolor\n"
    "燃やすごみ,,生ごみ・紙くずなど。指定袋で出してください。,burnable,#e8502e\n"
    "燃やさないごみ,,金属・ガラス・陶器など。,unburnable,#3b5bb5\n",
    "city/target.csv": "type,name,notice,furigana\n燃やすごみ,生ごみ,水けをよく切ってから出してください。,なまごみ\n",
    "city/clinics.csv": "date,name,specialty,address,phone,hours,lat,lon\n"
    "2027-01-03,例クリニック,内科,例町1-1-1,0000-00-0100,9:00-17:00,35.0000,135.0000\n",
    "city/departments.csv": "name,reading,phone,floor,mon,tue,wed,thu,fri,sat,sun,topics\n"
    "市民課,しみんか,0000-00-0101,本庁舎1階,8:30-17:15,8:30-17:15,8:30-17:15,8:30-17:15,8:30-17:15,,,"
    "住民票 戸籍 印鑑登録 転入 転出\n",
    "city/snowplow_areas.csv": "area,aliases,lat,lon,radius_m,polygon,route_ids\n例地区,れいちく,35.0000,135.0000,600,,R1\n",
}

README = """# {name} の市フォルダ

madoguchi が住民に答えるときに使う、この市だけの情報をすべてこのフォルダに置きます。
各ファイルには見出し行と例の行が1行だけ入っています。例の行を市の内容に書き換え、行を足してください。
書き方の詳細は docs/city-setup.md にあります。

| ファイル | 内容 |
|---|---|
| `faq.csv` | よくある質問と回答 (見出しは 番号,質問,回答,分類,担当課,URL でも可) |
| `synonyms.csv` | 言い換え (from,to): 住民の言い方 → FAQ の言い方 |
| `city/city.json` | 市の名前・代表電話・受付時間・ホームページ・祝日のごみ収集・緊急連絡先 |
| `city/area_days.csv` | ごみ収集日 (5374.jp 形式): 地区ごとの曜日 |
| `city/center.csv` | 清掃センターの休止期間 (年末年始など) |
| `city/description.csv` | ごみの分類の説明 |
| `city/target.csv` | 品目ごとの分別 (品目 → 分類) |
| `city/clinics.csv` | 休日当番医 (日付・医院・診療科・住所・電話・時間・緯度経度) |
| `city/departments.csv` | 担当課 (電話・場所・曜日ごとの受付時間・担当する話題) |
| `city/snowplow_areas.csv` | 除雪の地区 (中心の緯度経度と半径、または多角形) |
| `city/report_categories.json` | 住民からの通報の種類と担当課 |
| `city/report_attributes.json` | 通報の種類ごとの追加の質問 |
| `city/richmenu.json` | (任意) LINE のリッチメニュー |

手順:

1. `madoguchi city check {dir}` で誤りを確かめます (ファイル・行・直し方が表示されます)。
2. `.env` に `MADOGUCHI_CITY_DIR={dir}` を書きます。
3. `madoguchi city load {dir}` でデータベースに取り込みます (誤りが1つでもあれば何も取り込みません)。
"""


def write_skeleton(root: Path, name: str) -> list[Path]:
    """Write the skeleton into ``root`` (which must not hold a city folder yet); returns the files written."""
    folder = CityFolder(root)
    if folder.data_dir.exists() or folder.faq.exists():
        raise FileExistsError(f"{root} にはすでに市のフォルダがあります (already a city folder)")
    folder.data_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for rel, text in FILES.items():
        (root / rel).write_text(text, encoding="utf-8")
        written.append(root / rel)
    folder.city_json.write_text(json.dumps(city_json(name), ensure_ascii=False, indent=2) + "\n", "utf-8")
    written.append(folder.city_json)
    for name_ in COPIED:
        shutil.copyfile(DEMO_DATA / name_, folder.data_dir / name_)
        written.append(folder.data_dir / name_)
    (root / "README.md").write_text(README.format(name=name, dir=root), encoding="utf-8")
    return [*written, root / "README.md"]
