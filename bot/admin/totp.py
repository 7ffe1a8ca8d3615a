"""The console's TOTP second factor (RFC 6238: 30-second steps, 6 digits, what Google Authenticator and its kin
show): which time step a code belongs to, and what an enrolment shows (the key, grouped for typing; its
otpauth URI; that URI as a QR code). Whether a step was already used is the account's
(`bot.storage.accounts.use_totp_step`): a code is never accepted twice.
"""

from __future__ import annotations

import hmac
import re
import time

import pyotp
import segno

ISSUER = "madoguchi"
INTERVAL = 30
DRIFT_STEPS = 1  # a phone's clock may be one step behind or ahead
SECRET = re.compile(r"^[A-Z2-7]{32}$")  # 160 bits, base32, as `new_secret` makes them


def new_secret() -> str:
    return pyotp.random_base32()


def valid_secret(secret: str) -> bool:
    return bool(SECRET.match(secret))


def current_step(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // INTERVAL)


def code_at(secret: str, step: int) -> str:
    """The code an authenticator app shows during time step `step`."""
    return pyotp.TOTP(secret, interval=INTERVAL).generate_otp(step)


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step (now, one before or one after) whose code `code` is, or None. Spaces are ignored."""
    code = code.replace(" ", "").strip()
    if len(code) != 6 or not code.isdigit():
        return None
    step = current_step(now)
    for candidate in range(step - DRIFT_STEPS, step + DRIFT_STEPS + 1):
        if hmac.compare_digest(code_at(secret, candidate), code):
            return candidate
    return None


def provisioning_uri(secret: str, username: str) -> str:
    """`otpauth://totp/madoguchi:<username>?secret=…&issuer=madoguchi`: what the QR code holds."""
    return pyotp.TOTP(secret, interval=INTERVAL).provisioning_uri(name=username, issuer_name=ISSUER)


def qr_data_uri(uri: str) -> str:
    """The URI as a QR code, an SVG `data:` URI for an `<img>` (the console's CSP allows `data:` images)."""
    return str(segno.make(uri, error="m").svg_data_uri(scale=5, border=2))


def grouped(secret: str) -> str:
    """The key in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
