"""Who answers a web survey: the resident's pseudonym in a signed cookie, the widget's hand-over link, and
the form's CSRF token.

- The cookie (`mg_respondent`, path `/surveys`, HttpOnly, SameSite=Lax, Secure over https) holds a resident
  key (`bot.privacy.resident_key`) and its HMAC under the gateway's secret: nobody can forge one, and nothing
  in it is the resident's raw id. A browser without the cookie gets a new key made from a random id that is
  then thrown away.
- The widget knows its own session id, from which the same key is made for the chat. Its 「アンケート」 link
  carries a hand-over token (`?k=…`, signed, valid `HANDOFF_TTL`) that the survey page turns into the cookie
  and then redirects away from, so survey answers and chat turns share one pseudonym.
- The form's CSRF token is an HMAC of (respondent, survey id): a page on another site cannot know it, and the
  SameSite=Lax cookie is not sent with another site's POST anyway.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from fastapi import Request, Response

from bot import privacy

COOKIE = "mg_respondent"
COOKIE_PATH = "/surveys"
COOKIE_MAX_AGE = 400 * 24 * 3600  # browsers cap cookies at 400 days
HANDOFF_TTL = 3600  # seconds a widget link keeps carrying the resident's pseudonym
CHANNEL = "web"


def _mac(secret: str, purpose: str, value: str) -> str:
    return hmac.new(secret.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()[:40]


def _b64(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def _unb64(value: str) -> str | None:
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def sign_key(secret: str, key: str) -> str:
    return f"{_b64(key)}.{_mac(secret, 'respondent', key)}"


def unsign_key(secret: str, value: str) -> str | None:
    raw, _, mac = value.partition(".")
    key = _unb64(raw)
    if not key or not key.startswith(CHANNEL + "-") or len(key) > 80:
        return None
    return key if hmac.compare_digest(mac, _mac(secret, "respondent", key)) else None


def handoff_token(secret: str, key: str, now: float | None = None) -> str:
    """A token for the widget's link that makes the survey page's cookie hold `key` (valid `HANDOFF_TTL`)."""
    expires = int((now if now is not None else time.time()) + HANDOFF_TTL)
    body = f"{key}|{expires}"
    return f"{_b64(body)}.{_mac(secret, 'handoff', body)}"


def read_handoff(secret: str, token: str, now: float | None = None) -> str | None:
    """The resident key of a valid, unexpired hand-over token, else None."""
    raw, _, mac = token.partition(".")
    body = _unb64(raw) if raw else None
    if not body or not hmac.compare_digest(mac, _mac(secret, "handoff", body)):
        return None
    key, _, expires = body.rpartition("|")
    if not expires.isdigit() or int(expires) < (now if now is not None else time.time()):
        return None
    return key if key.startswith(CHANNEL + "-") else None


def csrf_token(secret: str, key: str, survey_id: int) -> str:
    return _mac(secret, "survey-csrf", f"{key}:{survey_id}")


def csrf_ok(secret: str, key: str, survey_id: int, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(str(sent), csrf_token(secret, key, survey_id))


@dataclass(frozen=True)
class Respondent:
    key: str  # the resident key the survey service is given as `sender`
    new: bool  # True: the cookie must be (re)sent


def respondent_of(request: Request, secret: str) -> Respondent:
    """The respondent of this browser: its cookie's key, or a new pseudonym from a random id."""
    key = unsign_key(secret, request.cookies.get(COOKIE, ""))
    if key:
        return Respondent(key, new=False)
    return Respondent(privacy.resident_key(secret, CHANNEL, secrets.token_hex(16)), new=True)


def set_cookie(request: Request, response: Response, secret: str, key: str, production: bool) -> None:
    response.set_cookie(
        COOKIE,
        sign_key(secret, key),
        max_age=COOKIE_MAX_AGE,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=production or request.url.scheme == "https",
    )


def same_origin(request: Request) -> bool:
    """False when the browser says the POST came from a page on another host (Origin, else Referer).

    Only the host is compared: behind a TLS-terminating proxy the scheme the gateway sees may differ."""
    sent = request.headers.get("origin") or request.headers.get("referer")
    if not sent:
        return True  # old browsers and privacy settings send neither; the CSRF token still guards
    return sent != "null" and urlsplit(sent).netloc == request.url.netloc
