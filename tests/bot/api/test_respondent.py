"""bot/api/respondent.py: the signed respondent cookie, the widget's hand-over token, the form's CSRF token and
the same-origin check."""

from __future__ import annotations

from starlette.requests import Request

from bot.api import respondent

SECRET = "test-secret-key-not-for-production"
KEY = "web-0123456789abcdef0123456789abcdef"


def request(headers: dict[str, str] | None = None, cookie: str = "") -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    if cookie:
        raw.append((b"cookie", f"{respondent.COOKIE}={cookie}".encode()))
    raw.append((b"host", b"gateway.example.jp"))
    scope = {"type": "http", "method": "POST", "path": "/surveys/1", "headers": raw, "scheme": "https",
             "server": ("gateway.example.jp", 443), "query_string": b""}  # fmt: skip
    return Request(scope)


def test_a_signed_key_reads_back_and_a_forged_or_foreign_one_does_not() -> None:
    signed = respondent.sign_key(SECRET, KEY)
    assert KEY not in signed  # not readable at a glance in the cookie jar
    assert respondent.unsign_key(SECRET, signed) == KEY
    assert respondent.unsign_key("other-secret", signed) is None
    assert respondent.unsign_key(SECRET, signed[:-1] + ("0" if signed[-1] != "0" else "1")) is None
    line_key = respondent.sign_key(SECRET, "line-0123")  # only web pseudonyms come from a browser
    assert respondent.unsign_key(SECRET, line_key) is None
    for junk in ("", ".", "%%%.abc", "a" * 500):
        assert respondent.unsign_key(SECRET, junk) is None


def test_a_browser_without_the_cookie_gets_a_new_random_pseudonym() -> None:
    first, second = respondent.respondent_of(request(), SECRET), respondent.respondent_of(request(), SECRET)
    assert first.new and second.new and first.key != second.key and first.key.startswith("web-")
    known = respondent.respondent_of(request(cookie=respondent.sign_key(SECRET, KEY)), SECRET)
    assert known == respondent.Respondent(KEY, new=False)


def test_the_hand_over_token_expires_and_cannot_be_altered() -> None:
    token = respondent.handoff_token(SECRET, KEY, now=1_000_000)
    assert respondent.read_handoff(SECRET, token, now=1_000_000 + respondent.HANDOFF_TTL - 1) == KEY
    assert respondent.read_handoff(SECRET, token, now=1_000_000 + respondent.HANDOFF_TTL + 1) is None
    other = respondent.handoff_token(SECRET, "web-ffff", now=1_000_000)
    assert respondent.read_handoff(SECRET, token.split(".")[0] + "." + other.split(".")[1], now=1) is None
    assert respondent.read_handoff(SECRET, "no-dot-at-all", now=1) is None


def test_the_csrf_token_belongs_to_one_respondent_and_one_survey() -> None:
    token = respondent.csrf_token(SECRET, KEY, 1)
    assert respondent.csrf_ok(SECRET, KEY, 1, token)
    assert not respondent.csrf_ok(SECRET, KEY, 2, token)
    assert not respondent.csrf_ok(SECRET, "web-ffff", 1, token)
    assert not respondent.csrf_ok(SECRET, KEY, 1, None) and not respondent.csrf_ok(SECRET, KEY, 1, "")


def test_only_a_post_from_the_gateways_own_pages_passes() -> None:
    assert respondent.same_origin(request({"Origin": "https://gateway.example.jp"}))
    assert respondent.same_origin(request({"Origin": "http://gateway.example.jp"}))  # behind a TLS proxy
    assert respondent.same_origin(request({"Referer": "https://gateway.example.jp/surveys/1"}))
    assert respondent.same_origin(request())  # neither header: the CSRF token decides
    assert not respondent.same_origin(request({"Origin": "https://evil.example"}))
    assert not respondent.same_origin(request({"Origin": "null"}))
    assert not respondent.same_origin(request({"Referer": "https://gateway.example.jp.evil.example/"}))
