"""Reporting from the widget: a photo from the camera, and the location only after explicit consent."""

from __future__ import annotations

import io
from typing import Any

import pytest

from tests.support.widget_browser import Stack, ask, count_sent, open_widget, shadow_focus

pytestmark = pytest.mark.browser


def test_photo_report(page: Any, stack: Stack) -> None:
    from PIL import Image

    open_widget(page)
    ask(page, "道路の破損を報告したい")
    jpeg = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 90, 60)).save(jpeg, format="JPEG")
    file_input = page.locator(".mg-file")
    assert file_input.get_attribute("accept") == "image/*"
    assert file_input.get_attribute("capture") == "environment"
    with page.expect_file_chooser() as chooser:
        page.locator(".mg-photo").click()
    chooser.value.set_files({"name": "road.jpg", "mimeType": "image/jpeg", "buffer": jpeg.getvalue()})
    page.get_by_text("写真を受け付けました").wait_for()
    turn = stack.rasa.received[-1]
    assert turn["metadata"]["photo_ids"] and isinstance(turn["metadata"]["photo_ids"][0], str)
    assert page.locator(".mg-user .mg-text").last.inner_text() == "写真を送りました"


def test_location_needs_explicit_consent(page: Any, stack: Stack) -> None:
    open_widget(page)
    before = count_sent(stack)
    page.locator(".mg-location").click()
    consent = page.locator(".mg-consent")
    consent.wait_for()
    assert "mg-consent-yes" in shadow_focus(page)
    page.locator(".mg-consent-no").click()
    assert consent.is_hidden() and count_sent(stack) == before
    page.locator(".mg-location").click()
    page.locator(".mg-consent-yes").click()
    page.get_by_text("場所を受け付けました").wait_for()
    location = stack.rasa.received[-1]["metadata"]["location"]
    assert location == {"lat": 43.062096, "lon": 141.354376}
