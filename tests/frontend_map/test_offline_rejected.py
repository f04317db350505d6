"""An offline draft the server refuses when the phone is back online (here: the photo is a
broken file, which only the server can tell) is never silently lost: the citizen sees the
server's field errors with the draft's text, and either fixes and resends it (created once)
or discards it with its text still shown. Real headless Chromium at 390×844 against the real
appeals API."""
from __future__ import annotations

import re
from typing import Any

import pytest

from issues.models import Appeal, AppealPhoto
from tests.frontend_map.test_map_pages import login, pin_and_describe, screenshot
from tests.issues.helpers import jpeg_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
BROKEN = {"name": "lamp.jpg", "mimeType": "image/jpeg", "buffer": b"\xff\xd8\xff\xe0 not really a photo" * 40}
TEXT = "Фонарь у подъезда не горит третий день, сообщаю без сети."


def queue_a_broken_draft_offline(page: Any, base_url: str) -> None:
    login(page, base_url, "citizen")
    page.goto(f"{base_url}/report/")
    pin_and_describe(page, TEXT)
    page.set_input_files("#photos", files=[BROKEN])  # replaces the good photo with a broken file
    page.context.set_offline(True)
    page.click("#submit")
    page.locator("#queued").wait_for(timeout=10000)
    page.context.set_offline(False)  # the queue sends it; the server answers 400
    page.locator(".rejected-draft").wait_for(timeout=20000)


def stored(page: Any) -> list[dict[str, Any]]:
    return page.evaluate("window.geoportal.offlineQueue.all().then(items => items.map("
                         "i => ({key: i.key, state: i.state, status: i.status})))")


def test_a_refused_draft_is_shown_with_the_errors_then_fixed_and_sent_once(live_server, personas, phone_page):
    page = phone_page
    queue_a_broken_draft_offline(page, live_server.url)
    assert Appeal.objects.count() == 0
    notice = page.locator(".rejected-draft")
    said = notice.inner_text()
    assert "не принял" in said and TEXT in said
    assert "Фото: lamp.jpg" in said and "не изображение" in said  # the server's own field error
    assert page.locator("#queued").get_attribute("data-rejected") == "1"
    [draft] = stored(page)
    assert draft["state"] == "rejected" and draft["status"] == 400
    screenshot(page, "map-report-draft-refused-phone")

    page.reload()  # kept across visits, and never sent again by itself
    page.locator(".rejected-draft").wait_for(timeout=10000)
    page.wait_for_timeout(1000)
    assert Appeal.objects.count() == 0 and len(stored(page)) == 1

    page.locator(".rejected-draft button.fix").tap()
    assert page.input_value("#text") == TEXT
    assert page.eval_on_selector("#category", "s => s.selectedOptions[0].textContent") == "Не горит уличный фонарь"
    assert page.eval_on_selector("#photos", "i => i.files.length") == 1  # the draft's file, to be replaced
    assert "не изображение" in page.locator("#error-photos").inner_text()
    screenshot(page, "map-report-draft-fixing-phone")
    page.set_input_files("#photos", files=[{"name": "lamp.jpg", "mimeType": "image/jpeg",
                                            "buffer": jpeg_bytes((320, 240), color="navy")}])
    page.click("#submit")
    page.wait_for_url(re.compile(r".*/appeals/\d+/$"), timeout=20000)
    appeal = Appeal.objects.get()
    assert appeal.text == TEXT and appeal.author_id == personas.citizen.pk
    assert AppealPhoto.objects.filter(appeal=appeal).count() == 1
    page.goto(f"{live_server.url}/report/")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)
    assert stored(page) == [] and page.locator(".rejected-draft").count() == 0
    assert Appeal.objects.count() == 1


def test_a_refused_draft_can_be_discarded_and_its_text_stays_on_screen(live_server, personas, phone_page):
    page = phone_page
    queue_a_broken_draft_offline(page, live_server.url)
    page.locator(".rejected-draft button.discard").tap()
    page.locator(".rejected-draft.discarded").wait_for()
    said = page.locator(".rejected-draft.discarded").inner_text()
    assert "удалён" in said and TEXT in said
    assert stored(page) == []
    screenshot(page, "map-report-draft-discarded-phone")
    page.reload()
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)
    assert page.locator(".rejected-draft").count() == 0 and Appeal.objects.count() == 0
