"""`madoguchi` command line: run, train, seed, and manage the knowledge base and city data."""

from __future__ import annotations

import typer

from bot.cli import admin as admin_cli
from bot.cli import city, core, data, eval_chat, eval_cities, eval_cmd, kb, tune_e5
from bot.cli import db as db_cli
from bot.cli import line as line_cli
from bot.cli import reports as reports_cli
from bot.cli import retention as retention_cli

app = typer.Typer(
    help="madoguchi (窓口): 24時間の住民窓口ボット", no_args_is_help=True, pretty_exceptions_enable=False
)
core.register(app)
app.command("eval")(eval_cmd.eval_command)
app.command("eval-cities")(eval_cities.eval_cities_command)
app.command("eval-chat")(eval_chat.eval_chat_command)
app.command("tune-e5")(tune_e5.tune_e5_command)
app.add_typer(kb.app, name="kb", help="FAQ ナレッジベースの取り込み・書き出し")
app.add_typer(kb.unanswered_app, name="unanswered", help="回答できなかった質問")
app.add_typer(data.app, name="data", help="ごみ・当番医・担当課・除雪の市データの取り込み")
app.add_typer(city.app, name="city", help="市のフォルダ (見本の作成・検証・一括取り込み)")
app.add_typer(line_cli.app, name="line", help="LINE 公式アカウント (リッチメニュー)")
app.add_typer(reports_cli.app, name="reports", help="住民からの通報 (書き出し・お知らせの再送)")
app.add_typer(admin_cli.app, name="admin", help="管理画面のアカウント (作成・パスワード再設定)")
app.add_typer(db_cli.app, name="db", help="データベースのスキーマ (版の確認・更新)")
app.add_typer(retention_cli.app, name="retention", help="個人データの保存期間 (削除の実行)")


def main() -> None:
    app()
