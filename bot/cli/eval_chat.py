"""`madoguchi eval-chat`: each city's questions asked through a running stack's chat API, beside the engine.

For every city it imports the city's FAQ into the stack's database (``kb import --replace``, with this
process's settings: run it with the stack's environment), waits until the stack's search answers from the new
KB, asks every question through ``POST {URL}/api/v1/chat`` (a fresh ``sender_id`` per question), asks the same
questions of the FAQ engine in-process on the same database, and scores both with crosscity's figures
(:mod:`knowledge.chateval`). A city is a folder (``faq.csv`` + query files) or ``NAME=FAQ.csv:QUERIES.csv``.
Exit 1 when the chat API is further than ``--max-gap`` from the engine on answered-right or buttons-contain.
The stack's FAQ is put back as it was at the end.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import typer

from bot.cli import kb
from bot.cli.citysets import parse_city
from bot.cli.context import open_context
from bot.storage import faq_repo
from bot.storage.db import transaction
from knowledge.chateval import (
    GATED,
    Asked,
    ask_city,
    compare,
    differing,
    largest_gap,
    score_asked,
    via_counts,
)
from knowledge.crosscity import COLUMNS, City, CityScore, table_rows

CHAT_PATH = "/api/v1/chat"
POLL_S = 0.6  # the stack's searchers re-read the KB revision at most every 0.5 s


class ChatAPI:
    """The chat API as an asker: ``faq_id`` set = answered, ``candidates`` = choose, else unknown."""

    def __init__(self, url: str, timeout_s: float = 120.0, client: httpx.Client | None = None) -> None:
        self.client = client or httpx.Client(timeout=timeout_s)
        self.url = url.rstrip("/") + CHAT_PATH

    def __call__(self, text: str) -> tuple[str, list[str], str]:
        sender = f"eval-{uuid.uuid4().hex}"
        response = self.client.post(self.url, json={"sender_id": sender, "text": text})
        if response.status_code == 429:
            raise typer.BadParameter(
                "the chat API rate-limited us (429): start the stack with a large "
                "MADOGUCHI_CHAT_RATE_PER_MINUTE / チャットの回数制限に達しました"
            )
        response.raise_for_status()
        return decision_of(response.json())

    def close(self) -> None:
        self.client.close()


def decision_of(body: dict[str, Any]) -> tuple[str, list[str], str]:
    """(decision, ids, intent) of a chat API response body."""
    intent = str(body.get("intent") or "")
    if body.get("faq_id"):
        return "answer", [str(body["faq_id"])], intent
    if body.get("candidates"):
        return "choose", [str(c) for c in body["candidates"]], intent
    return "unknown", [], intent


def wait_for_kb(
    chat: Callable[[str], tuple[str, list[str], str]],
    city: City,
    old_ids: set[str],
    timeout_s: float,
    poll_s: float = POLL_S,
) -> int:
    """Ask the city's own FAQ questions until the stack answers from the new KB; returns the probes asked.

    Proof is an id only the new KB has among the ids returned (when every new id was in the old KB too, any
    answer from the search after the revision poll interval will do)."""
    new_ids = {e.id for e in city.entries}
    fresh = [e for e in city.entries if e.id not in old_ids]
    probes = fresh or city.entries
    time.sleep(poll_s)
    deadline = time.monotonic() + timeout_s
    asked = 0
    while time.monotonic() < deadline:
        entry = probes[asked % len(probes)]
        asked += 1
        try:
            _decision, ids, _intent = chat(entry.question)
        except httpx.HTTPError:
            time.sleep(poll_s)  # the first question after an import waits for the stack's index rebuild
            continue
        if ids and set(ids) <= new_ids and (set(ids) - old_ids or not fresh):
            return asked
    raise typer.BadParameter(
        f"{city.name}: the stack did not answer from the new FAQ within {timeout_s:.0f} s "
        "(is --url the stack on this database? / 新しい FAQ で回答されませんでした)"
    )


def eval_chat_command(
    url: str = typer.Option(..., "--url", help="the running stack's gateway, e.g. http://127.0.0.1:8000"),
    city: list[str] = typer.Option(..., "--city", help="city folder, or NAME=FAQ.csv:QUERIES.csv (repeat)"),
    max_gap: float = typer.Option(0.02, help="largest allowed |chat − engine| on answered-right/buttons"),
    concurrency: int = typer.Option(4, min=1, max=32, help="chat questions in flight at once"),
    timeout: float = typer.Option(300.0, help="seconds to wait for the stack to serve a newly imported FAQ"),
    show: int = typer.Option(15, help="differing questions to print per city"),
    json_out: Path | None = typer.Option(None, "--json", help="also write every figure and difference here"),
) -> None:
    """稼働中のスタックのチャット API で各市の質問に答えさせ、検索エンジン単体と比べます (chat API vs engine)."""
    from rich.console import Console

    from bot.cli.core import progress_bar
    from bot.live_search import LiveSearcher

    cities = [parse_city(spec)[0] for spec in city]
    if len({c.name for c in cities}) != len(cities):
        raise typer.BadParameter("city names must differ / 市の名前が重複しています")
    files = [faq_file(spec) for spec in city]
    ctx = open_context()
    with ctx.factory() as session:
        original = faq_repo.list_entries(session)
    engine = LiveSearcher.from_settings(ctx.factory, ctx.settings)
    today = ctx.settings.city_clock().today()
    chat = ChatAPI(url)
    console = Console(width=160)  # the tables stay readable in CI logs and pipes
    report: list[dict[str, Any]] = []

    def engine_ask(text: str) -> tuple[str, list[str]]:
        outcome = engine.search(text, k=3, today=today)
        return outcome.decision, [h.faq_id for h in outcome.hits]

    try:
        old_ids = {e.id for e in original}
        for c, file in zip(cities, files, strict=True):
            kb.import_(file, replace=True, actor="eval-chat")
            console.print(f"{c.name}: waiting for the stack to serve the new FAQ …")
            wait_for_kb(chat, c, old_ids, timeout)
            old_ids = {e.id for e in c.entries}
            engine.warm_up()

            with progress_bar() as bar:
                chat_task = bar.add_task(f"{c.name}: chat API", total=len(c.queries))
                replay = answers_in_parallel(chat, c, concurrency, partial(bar.advance, chat_task))
                chat_asked = ask_city(c, replay)
                engine_task = bar.add_task(f"{c.name}: engine", total=len(c.queries))
                engine_asked = ask_city(c, engine_ask, partial(bar_progress, bar, engine_task))
            report.append(city_report(c.name, chat_asked, engine_asked))
            print_city(console, report[-1], show)
    finally:
        chat.close()
        with transaction(ctx.factory) as session:
            faq_repo.apply_import(session, original, actor="eval-chat", replace=True)
    worst = max(report, key=lambda r: abs(r["largest_gap"][1]))
    figure, gap = worst["largest_gap"]
    console.print(f"largest gap (chat − engine): {gap:+.3f} on {figure} in {worst['city']} (max {max_gap})")
    if json_out is not None:
        json_out.write_text(json.dumps({"max_gap": max_gap, "cities": report}, ensure_ascii=False, indent=1))
    if any(abs(g) > max_gap + 1e-9 for r in report for g in r["gaps"].values()):
        raise typer.Exit(1)


def bar_progress(bar: Any, task: Any, done: int, _total: int) -> None:
    bar.update(task, completed=done)


def faq_file(spec: str) -> Path:
    """The FAQ file of a city spec (what ``kb import`` reads)."""
    return Path(spec.split("=", 1)[1].split(":")[0]) if "=" in spec else Path(spec) / "faq.csv"


def answers_in_parallel(
    chat: Callable[[str], tuple[str, list[str], str]],
    city: City,
    concurrency: int,
    done: Callable[[], None],
) -> Callable[[str], tuple[str, list[str], str]]:
    """Ask all the city's questions ``concurrency`` at a time; the asker that then replays the answers."""

    def one(text: str) -> tuple[str, list[str], str]:
        result = chat(text)
        done()
        return result

    texts = list(dict.fromkeys(q.text for q in city.queries))
    with ThreadPoolExecutor(concurrency) as pool:
        answers = dict(zip(texts, pool.map(one, texts), strict=True))
    return answers.__getitem__


def city_report(name: str, chat: Sequence[Asked], engine: Sequence[Asked]) -> dict[str, Any]:
    chat_score, engine_score = score_asked(name, "chat API", chat), score_asked(name, "engine", engine)
    gaps = compare(chat_score, engine_score, GATED)
    diffs = differing(chat, engine)
    return {
        "city": name,
        "chat": asdict(chat_score),
        "engine": asdict(engine_score),
        "gaps": gaps,
        "largest_gap": largest_gap(gaps),
        "via": dict(via_counts(diffs).most_common()),
        "differing": [
            {
                "query": d.a.query.text,
                "expected_id": d.a.query.expected_id,
                "style": d.a.query.style,
                "figure": d.figure,
                "chat_better": d.a_better,
                "chat": {"decision": d.a.decision, "ids": d.a.ids, "intent": d.a.via},
                "engine": {"decision": d.b.decision, "ids": d.b.ids},
            }
            for d in diffs
        ],
    }


def print_city(console: Any, report: dict[str, Any], show: int) -> None:
    from rich.table import Table

    table = Table(title=f"{report['city']}: chat API vs engine (same KB)")
    for column in ["method", "in+out", *(label for _, label in COLUMNS)]:
        table.add_column(column)
    for row in table_rows([CityScore(**report["chat"]), CityScore(**report["engine"])]):
        table.add_row(*row[1:-1])
    console.print(table)
    gaps = ", ".join(f"{f} {g:+.3f}" for f, g in report["gaps"].items())
    console.print(f"  chat − engine: {gaps}")
    diffs = report["differing"]
    if diffs:
        intents = ", ".join(f"{k} {v}" for k, v in report["via"].items())
        console.print(f"  {len(diffs)} questions differ; the chat API's intent for them: {intents}")
        for d in diffs[:show]:
            chat, eng = d["chat"], d["engine"]
            console.print(
                f"   [{d['figure']}{' chat better' if d['chat_better'] else ''}] {d['query']} "
                f"(expected {d['expected_id']}): chat {chat['decision']}{chat['ids']} via {chat['intent'] or '-'}"
                f" | engine {eng['decision']}{eng['ids']}",
                markup=False,
                highlight=False,
            )
