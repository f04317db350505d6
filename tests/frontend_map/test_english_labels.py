"""English pages name categories by their English names (``Category.name_en``) and show the
appeal's status and outcome labels in English; Russian pages keep the register's Russian."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.conf import settings

from issues import actions
from issues.models import Category, Status
from tests.issues.helpers import jpeg_bytes, make_appeal

pytestmark = pytest.mark.django_db
CYRILLIC = re.compile(r"[А-Яа-яЁё]")


def english_label(text) -> str:
    from django.utils import translation

    with translation.override("en"):
        label = str(text)
    assert not CYRILLIC.search(label), label
    return label


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_report_form_lists_categories_in_the_page_language(personas):
    potholes = Category.objects.get(code="roads-potholes")
    assert potholes.name_en and potholes.name_en != potholes.name
    russian = personas.client("citizen").get("/report/").content.decode()
    assert f">{potholes.name}</option>" in russian and f">{potholes.name_en}</option>" not in russian
    page = english(personas.client("citizen")).get("/report/").content.decode()
    assert f">{potholes.name_en}</option>" in page and f">{potholes.name}</option>" not in page
    assert f'label="{potholes.parent.name_en}"' in page


def test_appeal_page_in_english_names_the_category_status_and_outcome(personas):
    appeal = make_appeal(personas.citizen, "roads-potholes", text="Глубокая яма у остановки на Минина")
    actions.accept_appeal(appeal, actor=personas.executor_a)
    actions.answer_appeal(appeal, actor=personas.executor_a, result="measures_taken", text="Яма заделана.")
    client = english(personas.client("anonymous"))
    html = client.get(f"/appeals/{appeal.pk}/").content.decode()
    assert appeal.category.name_en in html and "supported, measures taken" in html
    assert "поддержано, меры приняты" not in html
    russian = personas.client("anonymous").get(f"/appeals/{appeal.pk}/").content.decode()
    assert appeal.category.name in russian and "поддержано, меры приняты" in russian
    # the one search box too
    hits = client.get("/search/", {"q": "яма"}).content.decode()
    assert f"{appeal.number}: {appeal.category.name_en}" in hits


# --- the appeals API and the scripts' texts follow the page's language -----------------------
def test_public_appeals_api_names_categories_in_the_request_language(personas):
    appeal = make_appeal(personas.citizen, "roads-potholes", text="Глубокая яма у остановки на Минина")
    category = appeal.category
    assert category.name_en and category.name_en != category.name
    routed = english_label(Status.ROUTED.label)

    def shown(client, url, **headers):
        response = client.get(url, **headers)
        assert response.status_code == 200
        body = response.json()
        return body["features"][0]["properties"] if "features" in body else body["properties"], response

    # no language asked for: Russian, as before (existing clients unchanged)
    props, response = shown(personas.client("anonymous"), "/api/v1/appeals/")
    assert props["category_name"] == category.name and props["status_display"] == "направлено исполнителю"
    assert response["Content-Language"] == "ru"
    # a shared cache may not hand one language's answer to the other's request
    assert {"Accept-Language", "Cookie"} <= {v.strip() for v in response["Vary"].split(",")}
    # the English pages' cookie (what the map's own requests carry) and Accept-Language: English
    props, response = shown(english(personas.client("anonymous")), "/api/v1/appeals/")
    assert props["category_name"] == category.name_en and props["status_display"] == routed
    assert response["Content-Language"] == "en"
    props, _ = shown(personas.client("anonymous"), f"/api/v1/appeals/{appeal.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert props["category_name"] == category.name_en
    props, _ = shown(personas.client("anonymous"), f"/api/v1/appeals/{appeal.pk}/", HTTP_ACCEPT_LANGUAGE="ru")
    assert props["category_name"] == category.name
    # the agency queue's list and popups read the same field
    props, _ = shown(english(personas.client("executor_a")), "/api/v1/appeals/?scope=work")
    assert props["category_name"] == category.name_en and props["number"] == appeal.number


def test_a_category_without_an_english_name_keeps_its_russian_one(personas):
    appeal = make_appeal(personas.citizen, "roads-potholes", text="Глубокая яма у остановки на Минина")
    Category.objects.filter(pk=appeal.category_id).update(name_en="")
    props = english(personas.client("anonymous")).get("/api/v1/appeals/").json()["features"][0]["properties"]
    assert props["category_name"] == appeal.category.name


def test_every_script_text_has_an_english_translation():
    """The list the pages carry (frontend_map/js_text.py) is exactly what the scripts ask
    ``T("…")`` for, and each has an English text without Cyrillic."""
    from django.utils import translation

    from frontend_map.js_text import JS_TEXTS

    scripts = Path(settings.BASE_DIR) / "frontend_map" / "static" / "frontend_map"
    asked = {m for js in scripts.glob("*.js") for m in re.findall(r'\bT\("([^"]+)"\)', js.read_text())}
    assert asked and asked == set(JS_TEXTS), (asked ^ set(JS_TEXTS))
    with translation.override("en"):
        untranslated = [t for t in JS_TEXTS if translation.gettext(t) == t or CYRILLIC.search(translation.gettext(t))]
    assert not untranslated


def test_english_pages_carry_the_scripts_texts_and_russian_ones_do_not(personas):
    page = english(personas.client("anonymous")).get("/map/").content.decode()
    texts = json.loads(re.search(r'<script id="js-text" type="application/json">(.*?)</script>', page).group(1))
    assert texts["Категория"] == "Category" and texts["Приблизьте карту или уточните фильтры."].startswith("Zoom")
    assert 'id="js-text"' not in personas.client("anonymous").get("/map/").content.decode()


def test_a_refused_report_names_its_field_errors_in_the_page_language(personas):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from issues.models import Appeal

    def refuse(client):
        broken = SimpleUploadedFile("lamp.jpg", b"\xff\xd8\xff\xe0 not really a photo" * 40, "image/jpeg")
        response = client.post("/api/v1/appeals/", {
            "category": Category.objects.get(code="light-street").pk, "text": "Яма", "lat": 0, "lon": 0,
            "photos": [broken]})
        assert response.status_code == 400, response.content
        return response.json()

    russian = refuse(personas.client("citizen"))
    assert russian["photos"] == ["lamp.jpg: это не изображение или файл повреждён."]
    english_errors = refuse(english(personas.client("citizen")))
    assert english_errors["photos"] == ["lamp.jpg: not an image, or the file is damaged."]
    assert Appeal.objects.count() == 0
    # the invariants checked together (a real photo, so the text and the place are judged)
    good = SimpleUploadedFile("lamp.jpg", jpeg_bytes(), "image/jpeg")
    response = english(personas.client("citizen")).post("/api/v1/appeals/", {
        "category": Category.objects.get(code="light-street").pk, "text": "Яма", "lat": 0, "lon": 0,
        "photos": [good]})
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["text"] == ["The appeal's text must be at least 10 characters long."]
    assert body["location"] == ["The place is outside the area the portal serves."]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_english_map_popups_and_queue_on_a_desk(live_server, personas, browser, settings, tmp_path):
    """Desk size (1280×800), English: the appeal popup, a project's popup and the agency queue
    show English labels and the categories' English names."""
    from django.utils import translation

    from projects.models import ProjectStatus
    from tests.browser import _page, login, open_appeal_popup, screenshot
    from tests.frontend_map.test_projects_map import build_projects

    settings.MEDIA_ROOT = tmp_path
    square = build_projects(personas)["square"]
    appeal = make_appeal(personas.citizen, "light-street", text="Три фонаря не горят во дворе дома 12.")
    with translation.override("en"):
        in_progress = str(ProjectStatus.IN_PROGRESS.label)
        done = translation.gettext("Выполнено")
    pages = _page(browser, viewport={"width": 1280, "height": 800})
    page = next(pages)
    try:
        page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}])
        popup = open_appeal_popup(page, live_server.url, appeal).locator(".popup")
        popup.wait_for()
        said = popup.inner_text()
        for label in ("Category", "Status", "Executor", "Received", appeal.category.name_en,
                      english_label(Status.ROUTED.label)):
            assert label in said, (label, said)
        assert re.search(r"Received\s+\d{2}/\d{2}/\d{4}", said), said  # the English date format
        names = (appeal.number, appeal.address or "", appeal.responsible_agency.short_name)  # data, in Russian
        assert not CYRILLIC.search(re.sub("|".join(map(re.escape, filter(None, names))), "", said)), said
        page.wait_for_timeout(400)  # the popup finished panning into view
        screenshot(page, "map-public-popup-desk-en")

        page.wait_for_function("() => document.getElementById('map').dataset.projects === '3'", timeout=15000)
        page.click("#near-me")
        page.wait_for_selector("#near-list[data-loaded='1']", timeout=20000)
        item = page.locator(f'#near-list li[data-project="{square.pk}"]')
        assert in_progress in item.inner_text() and re.search(r"\d km$", item.inner_text()), item.inner_text()
        item.locator("button").click()
        project = page.locator(".project-popup")
        project.wait_for(timeout=10000)
        said = project.inner_text()
        assert in_progress in said and f"{done}: 50%" in said and "Выполнено" not in said, said
        assert "RUB 1,250,000" in said.replace("\u00a0", " "), said  # the page's number format

        login(page, live_server.url, "executor_light")
        page.goto(f"{live_server.url}/queue/")
        item = page.locator(f'.queue-item[data-number="{appeal.number}"]')
        item.wait_for(timeout=15000)
        said = item.inner_text()
        assert appeal.category.name_en in said and "Take on" in said and "On the map" in said, said
        assert "Взять в работу" not in said and "Срок" not in said, said
        screenshot(page, "map-queue-desk-en")

        login(page, live_server.url, "leader")  # the leadership's heat map summary and legend
        page.goto(f"{live_server.url}/leadership/")
        page.wait_for_function("() => parseInt(document.getElementById('heat-map').dataset.cells || '0') > 0",
                               timeout=15000)
        summary = page.locator("#heat-summary").inner_text()
        assert re.fullmatch(r"In the map view: [\d,]+ appeals, \d+ cells", summary), summary
    finally:
        next(pages, None)
