"""Map pages: who may open each, what they show (never personal data on public pages), and in
real headless Chromium at phone size (390×844, touch) the four journeys of the issue: a
citizen reports with a photo and finds the appeal on the public map; an executor answers
from the queue map; the leadership heat map is not empty; an offline draft is sent once."""
from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest

from geoportal.models import CitizenProfile, District
from issues import actions
from issues.models import Appeal, AppealPhoto, Status
from tests.browser import assert_stacks_on_a_phone, open_appeal_popup, sideways_scroll
from tests.browser import screenshot as save_screenshot
from tests.issues.helpers import jpeg_bytes, make_appeal

SECRET_NAME = "Тайнова Секретина Приватовна"


# --- server-side: access and content -------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize(("url", "allowed", "forbidden"), [
    ("/map/", ["anonymous", "citizen", "leader"], []),
    ("/report/", ["citizen", "operator"], []),
    ("/my/", ["citizen", "executor_a"], []),
    ("/queue/", ["executor_a", "executor_b", "agency_head"], ["citizen", "leader", "moderator"]),
    ("/leadership/", ["leader", "admin"], ["citizen", "executor_a", "agency_head", "operator"]),
])
def test_who_may_open_each_page(personas, url, allowed, forbidden):
    for name in allowed:
        assert personas.client(name).get(url).status_code == 200, (url, name)
    for name in forbidden:
        assert personas.client(name).get(url).status_code == 403, (url, name)
    if url != "/map/":
        response = personas.client("anonymous").get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_public_appeal_page_shows_no_personal_data(personas):
    CitizenProfile.objects.filter(user=personas.citizen).update(full_name=SECRET_NAME)
    appeal = make_appeal(personas.citizen, "roads-potholes", text="Глубокая яма у дома 7 по улице Мира.")
    public = personas.client("anonymous").get(f"/appeals/{appeal.pk}/").content.decode()
    assert appeal.number in public and "Глубокая яма" in public
    assert SECRET_NAME not in public and "citizen" not in public
    own = personas.client("citizen").get(f"/appeals/{appeal.pk}/").content.decode()
    assert appeal.number in own


@pytest.mark.django_db
def test_private_text_and_hidden_appeals(personas):
    private = make_appeal(personas.citizen, "roads-potholes", text="ЛИЧНЫЙ-ТЕКСТ про мою квартиру 15.",
                          text_is_private=True)
    assert "ЛИЧНЫЙ-ТЕКСТ" not in personas.client("other_citizen").get(f"/appeals/{private.pk}/").content.decode()
    assert "ЛИЧНЫЙ-ТЕКСТ" in personas.client("citizen").get(f"/appeals/{private.pk}/").content.decode()
    hidden = make_appeal(personas.citizen, "roads-potholes", text="Обращение, которое скроет модератор.")
    actions.moderate_appeal(hidden, actor=personas.moderator, is_public=False, reason="персональные данные")
    assert personas.client("other_citizen").get(f"/appeals/{hidden.pk}/").status_code == 404
    assert personas.client("citizen").get(f"/appeals/{hidden.pk}/").status_code == 200


@pytest.mark.django_db
def test_my_appeals_lists_only_mine(personas):
    mine = make_appeal(personas.citizen, "roads-potholes", text="Моя яма на дороге возле школы.")
    theirs = make_appeal(personas.other_citizen, "roads-potholes", text="Чужая яма на дороге у рынка.")
    html = personas.client("citizen").get("/my/").content.decode()
    assert mine.number in html and theirs.number not in html
    assert_stacks_on_a_phone(html, "my-appeals")


@pytest.mark.django_db
def test_leadership_table_shows_on_time_share(personas):
    appeal = make_appeal(personas.citizen, "roads-potholes", text="Яма на дороге у остановки.")
    actions.accept_appeal(appeal, actor=personas.executor_a)
    actions.answer_appeal(appeal, actor=personas.executor_a, text="Яма заделана, фото приложено.",
                          result="measures_taken")
    html = personas.client("leader").get("/leadership/").content.decode()
    row = re.search(r"<td>Комдорхоз</td><td>(\d+)</td><td>(\d+)</td>", html)
    assert row and row.groups() == ("1", "1") and "100%" in html


@pytest.mark.django_db
def test_report_page_offers_camera_and_the_offline_queue(personas):
    html = personas.client("citizen").get("/report/").content.decode()
    assert 'accept="image/*"' in html and 'capture="environment"' in html
    assert "offline-queue.js" in html and "report.js" in html


# --- browser journeys ------------------------------------------------------------------------
def wait_for(page: Any, condition: Callable[[], Any], timeout: float = 20, what: str = "condition") -> Any:
    """Poll a database condition while letting Playwright work: its request routing runs in
    this thread, so a plain sleep would stall the page's requests."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        page.wait_for_timeout(200)
    raise AssertionError(f"timed out waiting for {what}")


def screenshot(page: Any, name: str) -> None:
    """Settled (animations done) and from the top, so the sticky header stays on top."""
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(400)
    save_screenshot(page, name)


def login(page: Any, base_url: str, username: str, password: str = "demo12345") -> None:
    """Sign in through the login form (the form's own button: the header has others)."""
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/accounts/login/" not in page.url, f"{username} could not sign in"


def pin_and_describe(page: Any, text: str) -> None:
    page.wait_for_selector("#report-map .leaflet-marker-icon", timeout=15000)  # geolocation pinned it
    box = page.locator("#report-map").bounding_box()
    page.locator("#report-map").tap(position={"x": box["width"] * 0.55, "y": box["height"] * 0.45})
    page.wait_for_function("() => document.getElementById('pin-status').textContent.length > 0")
    page.fill("#category-search", "фанари")  # a misspelling in another word form (category-search.js)
    assert page.eval_on_selector("#category", "s => s.selectedOptions[0].textContent") == "Не горит уличный фонарь"
    assert page.locator("#category-suggestions button[aria-pressed=true]").inner_text() == "Не горит уличный фонарь"
    page.fill("#text", text)
    page.set_input_files("#photos", files=[{"name": "lamp.jpg", "mimeType": "image/jpeg",
                                            "buffer": jpeg_bytes((320, 240), color="navy")}])


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_citizen_reports_with_a_photo_and_finds_it_on_the_public_map(live_server, personas, phone_page, settings):
    page = phone_page
    login(page, live_server.url, "citizen")
    page.goto(f"{live_server.url}/report/")
    pin_and_describe(page, "Не горит фонарь у подъезда, вечером совсем темно.")
    screenshot(page, "map-report-phone")
    page.click("#submit")
    page.wait_for_url(re.compile(r".*/appeals/\d+/$"), timeout=20000)
    appeal = Appeal.objects.get()
    assert appeal.author_id == personas.citizen.pk and appeal.status == Status.ROUTED
    assert AppealPhoto.objects.filter(appeal=appeal).count() == 1
    assert appeal.location_source == "pin"
    assert appeal.number in page.locator("h1").inner_text()
    screenshot(page, "map-appeal-page-phone")
    page.goto(f"{live_server.url}/my/")
    assert sideways_scroll(page, "my-appeals") == 0  # a card per appeal, not a table to swipe

    popup = open_appeal_popup(page, live_server.url, appeal, tap=True)
    assert appeal.number in popup.inner_text() and "Горсвет" in popup.inner_text()
    assert page.locator("#stats-total").inner_text() == "1"
    screenshot(page, "map-public-phone")
    page.goto(f"{live_server.url}/map/")  # the citywide view: server clusters
    page.wait_for_selector(".cluster-icon", timeout=15000)
    assert page.locator(".cluster-icon").first.inner_text() == "1"
    screenshot(page, "map-public-clusters-phone")
    settings.TILES_MAP_POINTS_MAX = 0  # every viewport "too dense" for points: it stays as clusters
    page.goto(f"{live_server.url}/map/?lat={appeal.location.y}&lon={appeal.location.x}&z=16")
    page.wait_for_selector("#map[data-loaded='clusters']", timeout=15000)
    assert page.locator(".cluster-icon").first.inner_text() == "1" and page.locator(".dot[data-number]").count() == 0
    notice = page.locator("#points-notice")
    assert notice.is_visible() and "Обращений в видимой области: 1. Они показаны группами." in notice.inner_text()
    screenshot(page, "map-public-dense-as-clusters-phone")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_executor_claims_and_answers_from_the_queue_map(live_server, personas, phone_page):
    appeal = make_appeal(personas.citizen, "light-street", text="Три фонаря не горят во дворе дома 12.")
    other = make_appeal(personas.citizen, "roads-potholes", text="Яма у перехода, не для Горсвета.")
    page = phone_page
    login(page, live_server.url, "executor_light")
    page.goto(f"{live_server.url}/queue/")
    item = page.locator(f'.queue-item[data-number="{appeal.number}"]')
    item.wait_for(timeout=15000)
    assert page.locator(f'.queue-item[data-number="{other.number}"]').count() == 0
    assert page.locator(f'#queue-map .dot[data-number="{appeal.number}"]').count() == 1
    screenshot(page, "map-queue-phone")
    item.locator("button.claim").tap()
    item.locator("button.answer").wait_for(timeout=10000)
    assert Appeal.objects.get(pk=appeal.pk).status == Status.ACCEPTED
    item.locator("button.answer").tap()
    page.select_option("#answer-result", "measures_taken")
    page.fill("#answer-text", "Заменены три светильника, освещение восстановлено.")
    page.set_input_files("#answer-photos", files=[{"name": "done.jpg", "mimeType": "image/jpeg",
                                                   "buffer": jpeg_bytes((320, 240), color="green")}])
    screenshot(page, "map-queue-answer-phone")
    page.locator("#answer-form button[type=submit]").tap()
    wait_for(page, lambda: Appeal.objects.get(pk=appeal.pk).status == Status.ANSWERED, what="the answer")
    answered = Appeal.objects.get(pk=appeal.pk)
    assert answered.result == "measures_taken" and answered.executor_id == personas.executor_b.pk
    assert AppealPhoto.objects.filter(appeal=appeal, kind="answer").count() == 1
    page.wait_for_function(f"() => !document.querySelector('.queue-item[data-number=\"{appeal.number}\"] button.answer')")
    screenshot(page, "map-queue-after-phone")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_leadership_heatmap_and_choropleth_render(live_server, personas, phone_page, desk_page):
    for district in ("centralny", "sormovsky", "leninsky", "centralny"):
        make_appeal(personas.citizen, "roads-potholes", district=district, text="Яма на дороге у остановки.")
    for name, page in (("map-leadership-phone", phone_page), ("map-leadership-desk", desk_page)):
        login(page, live_server.url, "leader")
        page.goto(f"{live_server.url}/leadership/")
        page.wait_for_function("() => parseInt(document.getElementById('heat-map').dataset.cells || '0') > 0",
                               timeout=15000)
        page.wait_for_selector("canvas.leaflet-heatmap-layer")
        painted = page.evaluate("""() => {
            const c = document.querySelector('canvas.leaflet-heatmap-layer');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0; for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) n++; } return n; }""")
        assert painted > 100, painted
        page.wait_for_function(f"() => document.querySelectorAll('#choro-map path.leaflet-interactive').length == "
                               f"{District.objects.count()}", timeout=15000)
        assert page.locator("#agency-table tbody tr").count() >= 1
        screenshot(page, name)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_offline_draft_is_sent_exactly_once_when_back_online(live_server, personas, phone_page):
    page = phone_page
    login(page, live_server.url, "citizen")
    page.goto(f"{live_server.url}/report/")
    page.wait_for_load_state("networkidle")
    page.context.set_offline(True)  # the pin, the category search (category-search.js) and the text: all offline
    pin_and_describe(page, "Фонарь не горит уже неделю, сообщаю без сети.")
    page.click("#submit")
    page.locator("#queued").wait_for(timeout=10000)
    assert "сохранено" in page.locator("#queued").inner_text()
    screenshot(page, "map-report-offline-phone")
    page.wait_for_timeout(1000)
    assert Appeal.objects.count() == 0
    page.context.set_offline(False)
    page.wait_for_selector("#queued[data-sent='1']", timeout=20000)
    assert Appeal.objects.count() == 1
    page.reload()  # the queue flushes again on load: nothing left to send
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1000)
    appeal = Appeal.objects.get()
    assert appeal.author_id == personas.citizen.pk and "без сети" in appeal.text
    assert AppealPhoto.objects.filter(appeal=appeal).count() == 1
    screenshot(page, "map-report-back-online-phone")
