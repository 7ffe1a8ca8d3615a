"""The TOTP second factor's arithmetic and enrolment data (bot/admin/totp.py)."""

from __future__ import annotations

import base64
import time
from urllib.parse import unquote

import pyotp

from bot.admin import totp


def test_a_code_names_its_time_step_within_one_step_of_now() -> None:
    secret = totp.new_secret()
    now = time.time()
    step = totp.current_step(now)
    code = pyotp.TOTP(secret).at(now)
    assert totp.code_at(secret, step) == code  # the same codes as any authenticator app
    assert totp.matching_step(secret, code, now) == step
    assert totp.matching_step(secret, f" {code[:3]} {code[3:]} ", now) == step  # typed with a space
    assert totp.matching_step(secret, totp.code_at(secret, step - 1), now) == step - 1  # the phone lags
    assert totp.matching_step(secret, totp.code_at(secret, step + 1), now) == step + 1  # or runs ahead
    window = {totp.code_at(secret, s) for s in range(step - 1, step + 2)}
    too_old = totp.code_at(secret, step - 2)
    if too_old not in window:  # (one chance in a few hundred thousand that it is also a code of the window)
        assert totp.matching_step(secret, too_old, now) is None
    near = {totp.code_at(secret, s) for s in range(step - 3, step + 4)}
    wrong = next(c for c in ("000000", "111111", "222222", "333333") if c not in near)
    assert totp.matching_step(secret, wrong, now) is None
    for junk in ("", "12345", "1234567", "12345a"):
        assert totp.matching_step(secret, junk, now) is None


def test_the_enrolment_shows_the_key_its_uri_and_a_qr_code() -> None:
    secret = totp.new_secret()
    assert totp.valid_secret(secret) and not totp.valid_secret("A" * 16) and not totp.valid_secret("a" * 32)
    uri = totp.provisioning_uri(secret, "sato")
    assert unquote(uri).startswith("otpauth://totp/madoguchi:sato?") and f"secret={secret}" in uri
    assert "issuer=madoguchi" in uri
    qr = totp.qr_data_uri(uri)
    assert qr.startswith("data:image/svg+xml")
    assert totp.grouped(secret).replace(" ", "") == secret and len(totp.grouped(secret).split()) == 8
    assert len(base64.b32decode(secret)) == 20  # 160 bits
