"""bot.privacy: the resident_key and the log masking switch (the masking patterns: tests/privacy/)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pytest

from bot.privacy import install_log_masking, mask_pii, resident_key, uninstall_log_masking

SECRET = "test-secret-key-not-for-production"


def test_resident_key_is_stable_and_names_its_channel() -> None:
    key = resident_key(SECRET, "line", "U1234567890abcdef")
    assert key == resident_key(SECRET, "line", "U1234567890abcdef")
    assert re.fullmatch(r"line-[0-9a-f]{32}", key)
    assert "U1234567890abcdef" not in key


def test_resident_key_differs_per_channel_resident_and_secret() -> None:
    keys = {
        resident_key(SECRET, "line", "a"),
        resident_key(SECRET, "web", "a"),
        resident_key(SECRET, "line", "b"),
        resident_key("another-secret", "line", "a"),
    }
    assert len(keys) == 4


def test_mask_pii_leaves_plain_text_alone() -> None:
    assert mask_pii("") == ""
    assert mask_pii("粗大ごみの出し方") == "粗大ごみの出し方"
    assert mask_pii("電話は 090-1234-5678 です") == "電話は [電話番号] です"


@pytest.fixture
def masking() -> Iterator[None]:
    install_log_masking()
    yield
    uninstall_log_masking()


def test_log_masking_is_installed_once_and_covers_only_our_loggers(
    masking: None, caplog: pytest.LogCaptureFixture
) -> None:
    factory = logging.getLogRecordFactory()
    install_log_masking()
    assert logging.getLogRecordFactory() is factory
    with caplog.at_level(logging.INFO):
        logging.getLogger("bot.test").info("call %s", "090-1234-5678")
        logging.getLogger("elsewhere").info("call %s", "090-1234-5678")
    assert [(r.name, r.getMessage()) for r in caplog.records] == [
        ("bot.test", "call [電話番号]"),
        ("elsewhere", "call 090-1234-5678"),
    ]
    uninstall_log_masking()
    assert not getattr(logging.getLogRecordFactory(), "_madoguchi_masking", False)


@pytest.mark.parametrize(
    ("written", "masked"),
    [
        ("番号は1234.5678.9012です", "番号は[個人番号]です"),
        ("1234/5678/9012", "[個人番号]"),
        ("１２３４／５６７８／９０１２", "[個人番号]"),
        ("携帯 090.1234.5678 まで", "携帯 [電話番号] まで"),
        ("090/1234/5678", "[電話番号]"),
        ("TEL.03.1234.5678", "TEL.[電話番号]"),
        # dots and slashes that are not personal data stay
        ("2026/04/01 と 2026.4.1", "2026/04/01 と 2026.4.1"),
        ("192.168.0.100 と 1.5 と 3/4", "192.168.0.100 と 1.5 と 3/4"),
    ],
)
def test_dots_and_slashes_between_digit_groups_are_masked(written: str, masked: str) -> None:
    """Issue 17, item 9: numbers written with dots or slashes between the groups."""
    assert mask_pii(written) == masked
