"""bot.settings: the fixed clock (`MADOGUCHI_CLOCK`) is for rehearsals and tests, never production."""

from __future__ import annotations

from datetime import datetime

import pytest
from pydantic import ValidationError

from bot.line.worker import LineOptions
from bot.settings import Settings

LONG_SECRET = "a-long-random-production-secret-0123456789"


def test_clock_is_refused_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MADOGUCHI_CLOCK", "2027-01-09T10:00")
    with pytest.raises(ValidationError, match="MADOGUCHI_CLOCK"):
        Settings(env="production", secret_key=LONG_SECRET, _env_file=None)  # type: ignore[arg-type,call-arg]


def test_production_without_clock_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MADOGUCHI_CLOCK", "")  # an empty line copied from .env.example means "real time"
    settings = Settings(env="production", secret_key=LONG_SECRET, _env_file=None)  # type: ignore[arg-type,call-arg]
    assert settings.clock is None


@pytest.mark.parametrize("env", ["development", "test"])
def test_clock_is_read_as_city_local_time(monkeypatch: pytest.MonkeyPatch, env: str) -> None:
    monkeypatch.setenv("MADOGUCHI_CLOCK", "2027-01-09T10:00")
    assert Settings(env=env, _env_file=None).clock == datetime(2027, 1, 9, 10, 0)  # type: ignore[arg-type,call-arg]
    monkeypatch.setenv("MADOGUCHI_CLOCK", "2027-01-09T01:00:00+00:00")  # an offset is turned into Tokyo time
    assert Settings(env=env, _env_file=None).clock == datetime(2027, 1, 9, 10, 0)  # type: ignore[arg-type,call-arg]


def test_a_clock_that_is_not_a_date_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MADOGUCHI_CLOCK", "next saturday")
    with pytest.raises(ValidationError, match="clock"):
        Settings(env="test", _env_file=None)  # type: ignore[arg-type,call-arg]


def test_line_lease_reaches_the_inbox_worker_and_stays_under_the_reply_tokens_life(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MADOGUCHI_LINE_LEASE_S", "12")
    assert LineOptions.from_settings(Settings(env="test", _env_file=None)).lease_s == 12.0  # type: ignore[call-arg]
    monkeypatch.delenv("MADOGUCHI_LINE_LEASE_S")
    assert LineOptions.from_settings(Settings(env="test", _env_file=None)).lease_s == 30.0  # type: ignore[call-arg]
    monkeypatch.setenv("MADOGUCHI_LINE_LEASE_S", "120")  # a resumed event could no longer use its token
    with pytest.raises(ValidationError, match="line_lease_s"):
        Settings(env="test", _env_file=None)  # type: ignore[call-arg]


@pytest.mark.parametrize("secret", ["x", "change-me", "s3cr3t-but-only-31-characters!!"])
def test_production_refuses_a_short_or_placeholder_secret_without_echoing_it(secret: str) -> None:
    """Issue 17, item 8: at least 32 characters in production; the error names the variable, not the value."""
    with pytest.raises(ValidationError, match="MADOGUCHI_SECRET_KEY") as refused:
        Settings(env="production", secret_key=secret, _env_file=None)  # type: ignore[arg-type,call-arg]
    assert "32" in str(refused.value) and secret not in str(refused.value)


def test_production_accepts_a_32_character_secret_and_development_any() -> None:
    assert Settings(env="production", secret_key="k" * 32, _env_file=None)  # type: ignore[arg-type,call-arg]
    assert Settings(env="development", secret_key="x", _env_file=None)  # type: ignore[arg-type,call-arg]
