"""The web app's shell: home page at phone and desk sizes, PWA manifest and service worker,
the offline page and the language switch."""
from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.browser import screenshot

from ..issues.helpers import make_appeal


@pytest.mark.django_db
def test_manifest_and_service_worker_are_served(region):
    client = Client()
    manifest = client.get("/manifest.webmanifest")
    assert manifest.status_code == 200 and manifest["Content-Type"] == "application/manifest+json"
    data = json.loads(manifest.content)
    assert data["display"] == "standalone" and {i["sizes"] for i in data["icons"]} == {"192x192", "512x512"}
    worker = client.get("/sw.js")
    assert worker.status_code == 200 and worker["Content-Type"].startswith("application/javascript")
    assert worker["Service-Worker-Allowed"] == "/" and "/offline/" in worker.content.decode()
    assert client.get("/offline/").status_code == 200


@pytest.mark.django_db
def test_home_shows_public_counts_and_no_personal_data(personas):
    profile = personas.citizen.profile
    profile.full_name = "Уникальнова Заявительница"
    profile.save()
    make_appeal(personas.citizen)
    page = Client().get("/")
    html = page.content.decode()
    assert page.status_code == 200 and "Сообщить о проблеме" in html
    assert "Уникальнова" not in html
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get("/")
    assert english.status_code == 200


@pytest.mark.django_db
def test_language_switch_turns_the_shell_into_english_and_back(region):
    client = Client()
    assert 'lang="ru"' in client.get("/").content.decode()
    switched = client.post("/i18n/setlang/", {"language": "en", "next": "/library/"})
    assert switched.status_code == 302 and switched["Location"] == "/library/"
    html = client.get("/library/").content.decode()
    assert 'lang="en"' in html and "Document library" in html and ">Report a problem<" in html
    assert "Skip to content" in html and 'value="ru"' in html  # the way back is offered
    home = client.get("/").content.decode()
    assert "How appeals are handled" in home and "30 days" in home
    client.post("/i18n/setlang/", {"language": "ru", "next": "/"})
    assert "Библиотека документов" in client.get("/library/").content.decode()


@pytest.mark.django_db
def test_base_map_settings_reach_the_page_as_json(region, settings):
    settings.BASEMAP_TILE_URL = "http://127.0.0.1:9/tiles/{z}/{x}/{y}.png"
    settings.BASEMAP_ATTRIBUTION = '&copy; "Карта" </script><script>alert(1)</script>'
    html = Client().get("/").content.decode()
    start = html.index('<script id="portal-map" type="application/json">') + len('<script id="portal-map" type="application/json">')
    data = json.loads(html[start:html.index("</script>", start)])
    assert data["tileUrl"] == settings.BASEMAP_TILE_URL and data["attribution"] == settings.BASEMAP_ATTRIBUTION
    assert data["center"] == [56.3269, 44.0059]
    assert "</script><script>alert(1)" not in html


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_home_page_renders_on_phone_and_desk(live_server, region, phone_page, desk_page):
    from django.core.management import call_command

    call_command("load_library", stdout=None)  # news and documents to show
    for name, page in (("home-phone", phone_page), ("home-desk", desk_page)):
        page.goto(f"{live_server.url}/")
        page.wait_for_load_state("networkidle")
        assert page.locator("h1").inner_text().startswith("Геопортал")
        # the stylesheet and Leaflet loaded from our own static files
        assert page.evaluate("getComputedStyle(document.querySelector('.topbar')).position") == "sticky"
        assert page.evaluate("typeof L") == "object"
        assert page.locator("#teaser .leaflet-container, #teaser.leaflet-container").count() == 1
        screenshot(page, name)
    # keyboard: the first Tab reaches the skip link, which is then on screen and leads to <main>
    desk_page.keyboard.press("Tab")
    assert desk_page.evaluate("document.activeElement.className") == "skip-link"
    assert desk_page.locator(".skip-link").bounding_box()["x"] >= 0
    desk_page.keyboard.press("Enter")
    assert desk_page.evaluate("document.activeElement.id") == "main"
    # the teaser's layer hook: a pushed GeoJSON layer lands on the map
    assert desk_page.evaluate("""() => {
        var layer = L.geoJSON({type: "Point", coordinates: [44.0059, 56.3269]});
        window.geoportal.teaserLayers.push(layer);
        return window.geoportal.teaserMap.hasLayer(layer);
    }""") is True
    phone_page.click(".menu-toggle")
    assert phone_page.locator("#main-nav").is_visible()
    assert phone_page.locator(".menu-toggle").get_attribute("aria-expanded") == "true"
    phone_page.click("button[value=en]")
    phone_page.wait_for_load_state("networkidle")
    assert phone_page.get_attribute("html", "lang") == "en"
    assert phone_page.locator("h1").inner_text().startswith("Geoportal")
    screenshot(phone_page, "home-phone-en")


@pytest.mark.django_db
def test_error_pages_keep_the_shell(personas):
    missing = Client().get("/library/no-such-document/")
    assert missing.status_code == 404 and "Страница не найдена" in missing.content.decode()
    assert 'class="skip-link"' in missing.content.decode()
    refused = personas.client("citizen").get("/pages/rules/edit/")
    assert refused.status_code == 403 and "Доступ запрещён" in refused.content.decode()


NAV_ROWS = """() => {
    const nav = document.getElementById("main-nav");
    const box = e => e.getBoundingClientRect();
    const row = e => Math.round(box(e).top + box(e).height / 2);
    const items = [...nav.querySelectorAll(":scope > a, .nav-account > a, .nav-account > form")]
        .filter(e => e.getClientRects().length);
    const account = [...nav.querySelectorAll(".nav-account > *")].filter(e => e.getClientRects().length);
    const rows = [...new Set(items.map(row))].sort((a, b) => a - b);
    return {rows: rows.length, items: items.length, brand: row(document.querySelector(".brand")),
            first_row: rows[0], account_rows: [...new Set(account.map(row))].length,
            second_row_is_account: items.filter(e => row(e) !== rows[0]).every(e => account.includes(e)),
            heights: [...new Set(items.map(e => Math.round(box(e).height)))],
            header: Math.round(box(document.querySelector(".topbar")).height),
            overflow: document.documentElement.scrollWidth - window.innerWidth};
}"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_navigation_fits_a_desk_in_both_languages(live_server, personas, browser, settings):
    """At 1280 px a signed-in staff member's navigation (queue or leadership, the projects office,
    the notices badge, sign out, the language switch): in English one row beside the brand; in
    Russian (longer labels) at most two, the user's own links moving together onto the second;
    no label breaks inside, nothing scrolls sideways. On a phone it stays the menu that opens as a
    column."""
    from inbox.models import Notification, NotificationKind
    from tests.browser import _page, login

    for user in (personas.agency_head, personas.leader):  # the widest header: with a notices badge
        Notification.objects.create(user=user, kind=NotificationKind.SUBSCRIPTION, title="Новость по подписке")
    problems: list[tuple[str, dict[str, object]]] = []
    for size in ({"width": 1280, "height": 800}, {"width": 390, "height": 844}):
        pages = _page(browser, viewport=size)
        page = next(pages)
        try:
            for username in ("head_roads", "leader"):
                page.context.clear_cookies()
                login(page, live_server.url, username)
                for language in ("ru", "en"):
                    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language,
                                               "url": live_server.url}])
                    page.goto(f"{live_server.url}/stats/")
                    assert page.get_attribute("html", "lang") == language
                    assert page.locator("#nav-notifications .nav-badge").count() == 1
                    name = f"nav-{username}-{language}-{size['width']}"
                    if size["width"] == 390:
                        assert page.locator("#main-nav").is_hidden()
                        page.click(".menu-toggle")
                        shown = page.evaluate(NAV_ROWS)
                        screenshot(page, name)
                        if not (shown["items"] == 12 and shown["rows"] == 12 and shown["overflow"] <= 0):
                            problems.append((name, shown))  # one item a row: the menu's column
                        continue
                    shown = page.evaluate(NAV_ROWS)
                    screenshot(page, name)
                    fits = shown["rows"] == 1 and abs(shown["brand"] - shown["first_row"]) <= 2
                    graceful = (shown["rows"] == 2 and shown["account_rows"] == 1 and shown["second_row_is_account"]
                                and shown["header"] <= 100)
                    if not (shown["items"] == 12 and len(shown["heights"]) == 1 and shown["overflow"] <= 0
                            and (fits if language == "en" else fits or graceful)):
                        problems.append((name, shown))
        finally:
            next(pages, None)
    assert not problems, problems
