"""The proposal's attachments in a real browser on a phone: a wrong photo is refused beside
the photos input, the files chosen again go through, and the project page shows the photos."""
from __future__ import annotations

import re

import pytest

from projects.models import Project
from tests.browser import ARTIFACTS, login
from tests.issues.helpers import jpeg_bytes
from tests.projects.conftest import inside
from tests.projects.test_pages_browser import screenshot, tap_on_map
from tests.projects.test_proposal_files import PDF, gif_bytes, turned_jpeg

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_citizen_attaches_minutes_and_photos_on_a_phone(live_server, personas, make_cycle, phone_page, settings,
                                                        tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    heading = make_cycle({"submission"}, min_group_size=3).headings.get()
    page = phone_page
    login(page, live_server.url, "citizen")
    page.goto(f"{live_server.url}/projects/new/")
    page.select_option("#id_heading", str(heading.pk))
    page.wait_for_timeout(400)
    spot = inside(heading)
    tap_on_map(page, "#proposal-map", spot.y, spot.x)
    page.wait_for_function("() => document.getElementById('geometry').value.length > 0")
    page.fill("#id_title", "Цветник у школы")
    page.select_option("#id_category", "greenery")
    page.fill("#id_description", "Разбить цветник и поставить ограждение")
    page.fill("#cost-name-1", "Рассада")
    page.fill("#cost-price-1", "30000")
    page.fill("#cost-name-2", "Ограждение")
    page.fill("#cost-price-2", "20000")
    for n in range(1, 4):
        page.fill(f"#member-name-{n}", f"Участник Группы {n}")
        page.fill(f"#member-birth-{n}", f"1975-03-0{n}")
    pdf = {"name": "protokol.pdf", "mimeType": "application/pdf", "buffer": PDF}
    page.set_input_files("#id_meeting_minutes", pdf)
    page.set_input_files("#id_photos", [
        {"name": "school.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes((400, 300), gps=(56.3, 44.0))},
        {"name": "anim.jpg", "mimeType": "image/jpeg", "buffer": gif_bytes()}])
    page.tap("#submit-proposal")
    page.wait_for_selector("#error-summary")
    assert "anim.jpg: фотографии принимаются в JPEG или PNG" in page.inner_text("#files")
    assert not Project.objects.exists()
    page.locator("#files").scroll_into_view_if_needed()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "projects-proposal-files-error-phone.png"))
    page.set_input_files("#id_meeting_minutes", pdf)
    page.set_input_files("#id_photos", [
        {"name": "school.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes((400, 300), gps=(56.3, 44.0))},
        {"name": "turned.jpg", "mimeType": "image/jpeg", "buffer": turned_jpeg()}])
    page.tap("#submit-proposal")
    page.wait_for_url(re.compile(r".*/projects/\d+/$"), timeout=20000)
    project = Project.objects.get()
    assert project.meeting_minutes and project.photos.count() == 2
    page.wait_for_function("() => Array.from(document.querySelectorAll('.gallery img'))"
                           ".every(function (i) { return i.complete && i.naturalWidth > 0; })")
    assert page.locator(".gallery img").count() == 2
    assert "minutes" not in page.content()
    screenshot(page, "projects-proposal-photos-page-phone")
