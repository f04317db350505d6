"""Accessibility (issue 5: "labels, contrast, keyboard"): axe-core (shipped inside the pinned
PyPI package axe-playwright-python, never a CDN) audits the key pages in real headless Chromium
at phone size (390×844) and at desk size (1280×800), each in Russian and in English, plus two
interactive states: an appeal's popup open on the public map and the report form after
submissions refused with field errors (by the form's own checks, then by the server). No
violation rated "serious" or "critical" may remain; a failure lists the size, the language, the
rule, its impact, the offending selectors and axe's help text so it can be fixed. Requests that
leave the machine (base-map tiles) are aborted (tests.browser)."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings

from issues import actions
from issues.models import Category
from tests.browser import _page, login, open_appeal_popup, screenshot
from tests.frontend_map.test_projects_map import build_projects
from tests.issues.helpers import make_appeal

BLOCKING = {"serious", "critical"}
# Elements axe must skip, each with the reason. Only third-party widgets we cannot fix cleanly
# belong here; our own templates and CSS are fixed instead.
EXCLUDE: list[list[str]] = []
HERE = {"geolocation": {"latitude": 56.3269, "longitude": 44.0059}, "permissions": ["geolocation"]}
SIZES: dict[str, dict[str, Any]] = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
              "device_scale_factor": 2, **HERE},
    "desk": {"viewport": {"width": 1280, "height": 800}, **HERE},
}
BROKEN_PHOTO = {"name": "lamp.jpg", "mimeType": "image/jpeg", "buffer": b"\xff\xd8\xff\xe0 not really a photo" * 40}


@pytest.fixture(params=sorted(SIZES))
def sized_page(request: Any, browser: Any) -> Iterator[Any]:
    page = next(pages := _page(browser, **SIZES[request.param]))
    page.size = request.param
    yield page
    next(pages, None)


def audit(page: Any, language: str, state: str = "") -> list[str]:
    """The page's serious/critical violations as readable lines (empty when clean); the page is
    saved as a screenshot (var/test-artifacts/a11y-<size>-<language>-*.png) to look at."""
    page.wait_for_load_state("networkidle")
    slug = page.url.split("/", 3)[3].split("?")[0].strip("/").replace("/", "-") or "home"
    screenshot(page, f"a11y-{page.size}-{language}-{slug}{'-' + state if state else ''}")
    context: dict[str, Any] = {"include": [["html"]]}
    if EXCLUDE:
        context["exclude"] = EXCLUDE
    results = Axe().run(page, context=context)
    lines = []
    for violation in results.response["violations"]:
        if violation["impact"] not in BLOCKING:
            continue
        targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]][:8]
        lines.append(f"{page.size}/{language} {page.url} {state}: {violation['id']} ({violation['impact']}) "
                     f"{violation['help']} [{violation['helpUrl']}] on {targets}")
    return lines


def refused_report(page: Any, language: str) -> list[str]:
    """The report form after an empty submission (the form's own field errors), then after one
    the server refuses (a broken photo: only the server can tell)."""
    page.wait_for_selector("#report-map .leaflet-marker-icon", timeout=15000)  # geolocation pinned it
    page.click("#submit")
    page.wait_for_selector("#error-text:not(:empty)")
    # each refused field says so and names its error; the keyboard lands on the first one to fix
    for field in ("category", "text"):
        assert page.get_attribute(f"#{field}", "aria-invalid") == "true"
        assert f"error-{field}" in page.get_attribute(f"#{field}", "aria-describedby").split()
    assert page.evaluate("document.activeElement.id") == "category"
    found = audit(page, language, "refused-by-form")
    page.select_option("#category", str(Category.objects.get(code="light-street").pk))
    page.fill("#text", "Не горит фонарь у подъезда, вечером совсем темно.")
    page.set_input_files("#photos", files=[BROKEN_PHOTO])
    page.click("#submit")
    page.wait_for_selector("#error-photos:not(:empty)", timeout=15000)
    assert page.locator("#error-text").inner_text() == ""  # the form's own errors are gone
    assert page.get_attribute("#text", "aria-invalid") is None
    assert page.get_attribute("#photos", "aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == "photos"
    return found + audit(page, language, "refused-by-server")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_key_pages_have_no_serious_accessibility_violations(live_server, personas, sized_page):
    from django.core.management import call_command

    call_command("load_library", stdout=None)  # news and documents for the home page and library
    appeal = make_appeal(personas.citizen, "roads-potholes", text="Глубокая яма у дома 7 по улице Мира.")
    actions.accept_appeal(appeal, actor=personas.executor_a)
    actions.answer_appeal(appeal, actor=personas.executor_a, text="Яма заделана, фото приложено.",
                          result="measures_taken")
    waiting = make_appeal(personas.citizen, "roads-potholes", text="Яма у перехода на Большой Покровской.")
    project = build_projects(personas)["square"]
    page, base = sized_page, live_server.url
    found: list[str] = []
    for language in ("ru", "en"):
        page.context.clear_cookies()  # signed out
        page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": base}])
        for path in ("/", "/map/", f"/appeals/{appeal.pk}/", "/projects/", f"/projects/{project.pk}/",
                     "/library/", "/stats/"):
            page.goto(base + path)
            assert page.locator("html").get_attribute("lang") == language
            found += audit(page, language)
            if path == "/" and page.size == "phone":  # the phone menu, hidden until opened, is audited open too
                page.click(".menu-toggle")
                found += audit(page, language, "menu")
        # an open appeal's popup on the public map (which shows open appeals by default)
        open_appeal_popup(page, base, waiting).locator(".popup").wait_for()
        page.wait_for_timeout(300)  # the popup finished panning into view
        found += audit(page, language, "popup")
        login(page, base, "citizen")
        for path in ("/report/", "/notifications/"):
            page.goto(base + path)
            found += audit(page, language)
        page.goto(base + "/report/")
        found += refused_report(page, language)
    assert not found, "axe-core found serious/critical violations:\n" + "\n".join(found)
