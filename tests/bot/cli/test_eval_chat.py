"""`madoguchi eval-chat` against a fake chat endpoint (a loopback HTTP server) on a fresh SQLite database.

The fake answers like a stack would: from the FAQ search over the database the command imports into (the same
settings as the command's engine, so a faithful fake scores exactly like the engine), except for the questions
a test tells it to drop, which it answers "unknown" through a topic intent.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import typer
from typer.testing import CliRunner

from bot.cli import app as cli
from bot.cli.eval_chat import ChatAPI, decision_of, faq_file, wait_for_kb
from bot.live_search import LiveSearcher
from bot.settings import load_settings
from bot.storage import faq_repo
from bot.storage.db import make_engine, migrate, session_factory, transaction
from knowledge.crosscity import City
from knowledge.kb import FaqEntry
from knowledge.kb_io import write_kb_file

runner = CliRunner()
TOPICS = [
    ("住民票の写しを取りたい", "市民課の窓口で取れます。"),
    ("粗大ごみを出したい", "電話で予約してください。"),
    ("犬の登録をしたい", "生活環境課で登録します。"),
    ("児童手当を申請したい", "子育て支援課に申請書を出します。"),
    ("国民健康保険に入りたい", "保険年金課で手続きします。"),
]
ORIGINAL = [FaqEntry(id="old-1", question="図書館の開館時間", answer="9時から17時です。")]


class FakeChat:
    """A loopback chat API answering from the FAQ search on the database; `dropped` questions go unanswered."""

    def __init__(self) -> None:
        settings = load_settings()
        self.searcher = LiveSearcher.from_settings(session_factory(make_engine(settings.db_url)), settings)
        self.searcher.warm_up()
        self.dropped: set[str] = set()
        self.seen: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.seen.append(body)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps(fake.answer(body["text"])).encode())

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.lock = threading.Lock()

    def answer(self, text: str) -> dict:
        reply = {"replies": [{"text": "…", "quick_replies": []}], "faq_id": None, "candidates": []}
        if text in self.dropped:
            return reply | {"intent": "ask_garbage_day", "fallback": False}
        with self.lock:
            outcome = self.searcher.search(text, k=3)
        ids = [h.faq_id for h in outcome.hits]
        if outcome.decision == "answer":
            return reply | {"faq_id": ids[0], "intent": "ask_city_service", "fallback": False}
        if outcome.decision == "choose":
            return reply | {"candidates": ids, "intent": "ask_city_service", "fallback": False}
        return reply | {"intent": "ask_city_service", "fallback": True}


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MADOGUCHI_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("MADOGUCHI_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("MADOGUCHI_EMBEDDER", "hashing")
    monkeypatch.setenv("MADOGUCHI_SECOND_EMBEDDER", "none")
    monkeypatch.setenv("MADOGUCHI_RANKER_FILE", "")
    settings = load_settings()
    migrate(settings.db_url)
    with transaction(session_factory(make_engine(settings.db_url))) as session:
        faq_repo.apply_import(session, ORIGINAL, actor="test", replace=True)
    return tmp_path


@pytest.fixture
def chat(env: Path) -> Iterator[FakeChat]:
    fake = FakeChat()
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def _city(folder: Path, prefix: str) -> Path:
    folder.mkdir()
    entries = [FaqEntry(id=f"{prefix}-{i}", question=q, answer=a) for i, (q, a) in enumerate(TOPICS)]
    write_kb_file(entries, folder / "faq.csv")
    lines = ["query,expected_id,style"]
    lines += [f"{q},{prefix}-{i},formal" for i, (q, _) in enumerate(TOPICS)]
    lines += ["明日の天気は晴れますか,,oos", "駅前のおいしいラーメン屋,,oos_near"]
    (folder / "queries.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def _kb(env: Path) -> list[str]:
    settings = load_settings()
    with session_factory(make_engine(settings.db_url))() as session:
        return [e.id for e in faq_repo.list_entries(session)]


def test_a_faithful_chat_api_matches_the_engine_on_every_city(env: Path, chat: FakeChat) -> None:
    cities = [_city(env / name, name[:2]) for name in ("alpha", "beta")]
    report = env / "report.json"
    args = ["eval-chat", "--url", chat.url, "--json", str(report), "--timeout", "30"]
    result = runner.invoke(cli, [*args, *(a for c in cities for a in ("--city", str(c)))])
    assert result.exit_code == 0, result.output
    assert "alpha: chat API vs engine" in result.output and "beta: chat API vs engine" in result.output
    data = json.loads(report.read_text())["cities"]
    assert [c["city"] for c in data] == ["alpha", "beta"]
    for city in data:
        assert city["gaps"] == {"answered_right": 0.0, "buttons_contain": 0.0}
        assert city["chat"]["in_scope"] == 5 and city["chat"]["out_of_scope"] == 2
        assert city["differing"] == []
    senders = [body["sender_id"] for body in chat.seen]
    assert len(set(senders)) == len(senders)  # a fresh resident per question
    assert _kb(env) == ["old-1"]  # the stack's FAQ is put back


def test_a_gap_over_the_bar_fails_and_names_the_questions_and_intent(env: Path, chat: FakeChat) -> None:
    city = _city(env / "gamma", "ga")
    chat.dropped = {TOPICS[0][0]}  # the probe uses entry questions too: drop one, the others prove the KB
    report = env / "report.json"
    result = runner.invoke(
        cli, ["eval-chat", "--url", chat.url, "--city", str(city), "--json", str(report), "--timeout", "30"]
    )
    assert result.exit_code == 1, result.output
    (data,) = json.loads(report.read_text())["cities"]
    engine_right = data["engine"]["answered_right"]
    assert data["differing"] and data["via"] == {"ask_garbage_day": len(data["differing"])}
    assert data["differing"][0]["query"] == TOPICS[0][0]
    assert data["gaps"]["buttons_contain"] < -0.02 or engine_right > data["chat"]["answered_right"] + 0.02
    assert "ask_garbage_day" in result.output and "largest gap" in result.output


def test_a_larger_max_gap_lets_the_same_gap_pass(env: Path, chat: FakeChat) -> None:
    city = _city(env / "delta", "de")
    chat.dropped = {TOPICS[0][0]}
    result = runner.invoke(
        cli, ["eval-chat", "--url", chat.url, "--city", str(city), "--max-gap", "0.5", "--timeout", "30"]
    )
    assert result.exit_code == 0, result.output


def test_response_bodies_map_to_decisions() -> None:
    assert decision_of({"faq_id": "a-1", "candidates": [], "intent": "ask_city_service"}) == (
        "answer",
        ["a-1"],
        "ask_city_service",
    )
    assert decision_of({"faq_id": None, "candidates": ["a", "b"], "intent": None}) == (
        "choose",
        ["a", "b"],
        "",
    )
    assert decision_of({"faq_id": None, "candidates": [], "fallback": True, "intent": "greet"}) == (
        "unknown",
        [],
        "greet",
    )


def test_a_rate_limited_chat_api_is_a_clear_error() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(429, json={"detail": "slow down"}))
    api = ChatAPI("http://stack", client=httpx.Client(transport=transport))
    with pytest.raises(typer.BadParameter, match="MADOGUCHI_CHAT_RATE_PER_MINUTE"):
        api("住民票")


def test_waiting_for_the_new_kb_needs_an_id_only_it_has() -> None:
    entries = [
        FaqEntry(id="new-1", question="q1", answer="a"),
        FaqEntry(id="old-1", question="q2", answer="a"),
    ]
    city = City("c", entries, [])
    answers = iter([("answer", ["old-1"], ""), ("unknown", [], ""), ("choose", ["new-1", "old-1"], "")])
    assert wait_for_kb(lambda _text: next(answers), city, {"old-1"}, timeout_s=5, poll_s=0) == 3
    stale = lambda _text: ("answer", ["old-1"], "")  # noqa: E731
    with pytest.raises(typer.BadParameter, match="did not answer from the new FAQ"):
        wait_for_kb(stale, city, {"old-1"}, timeout_s=0.05, poll_s=0)


def test_faq_file_of_a_city_spec(tmp_path: Path) -> None:
    assert faq_file(str(tmp_path)) == tmp_path / "faq.csv"
    assert faq_file("demo=/k/faq.csv:/t/q.csv") == Path("/k/faq.csv")
