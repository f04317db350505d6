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


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_home_page_renders_on_phone_and_desk(live_server, region, phone_page, desk_page):
    for name, page in (("home-phone", phone_page), ("home-desk", desk_page)):
        page.goto(f"{live_server.url}/")
        page.wait_for_load_state("networkidle")
        assert page.locator("h1").inner_text().startswith("Геопортал")
        # the stylesheet and Leaflet loaded from our own static files
        assert page.evaluate("getComputedStyle(document.querySelector('.topbar')).position") == "sticky"
        assert page.evaluate("typeof L") == "object"
        assert page.locator("#teaser .leaflet-container, #teaser.leaflet-container").count() == 1
        screenshot(page, name)
    phone_page.click(".menu-toggle")
    assert phone_page.locator("#main-nav").is_visible()
