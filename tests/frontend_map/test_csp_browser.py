"""The Content-Security-Policy the portal sends (scripts only from the site or with the page's
nonce, no inline handlers, no plugins, no framing) is one the pages work with: each page of each
role loads in Chromium with its maps drawn and not one CSP violation reported; the service
worker still takes over. A district name is data, never markup, in the choropleth tooltip."""
from __future__ import annotations

from typing import Any

import pytest

from geoportal.models import District
from infocenter.models import Comment
from tests.browser import login, screenshot
from tests.issues.helpers import jpeg_bytes, make_appeal, upload

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WATCH = """window.__csp = [];
document.addEventListener("securitypolicyviolation", e => window.__csp.push(e.violatedDirective + " " + e.blockedURI));"""


def _visit(page: Any, url: str, ready: str) -> None:
    response = page.goto(url)
    assert response.ok, url
    assert "script-src 'self'" in response.headers["content-security-policy"], url  # + a nonce where a page has one
    page.wait_for_selector(ready, timeout=15000, state="attached")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__csp") == [], (url, page.evaluate("window.__csp"))


def test_pages_work_under_the_csp_and_district_names_stay_text(live_server, personas, desk_page):
    from issues.tasks import process_photo

    District.objects.filter(code="centralny").update(name='<img id="injected" src="x">Центральный')
    appeal = make_appeal(personas.citizen, "roads-potholes", photos=[(upload(jpeg_bytes()), None)])
    process_photo(appeal.photos.get().pk)
    Comment.objects.create(kind="appeal", target_id=appeal.pk, author=personas.other_citizen, text="Поддерживаю!")
    page, base = desk_page, live_server.url
    console: list[str] = []
    page.add_init_script(WATCH)
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    for url, ready in (("/", "main"), ("/map/", "#map .cluster-icon"), (f"/appeals/{appeal.pk}/", ".photos img"),
                       ("/stats/", "main"), ("/api/v1/docs/", ".swagger-ui .info")):
        _visit(page, base + url, ready)
    page.goto(f"{base}/appeals/{appeal.pk}/")
    page.wait_for_function("() => document.querySelector('.photos img').complete")
    assert page.evaluate("document.querySelector('.photos img').naturalWidth") > 0  # through the checking view
    assert page.evaluate("navigator.serviceWorker.ready.then(r => !!r.active)")  # the PWA's worker runs
    login(page, base, "citizen")
    _visit(page, f"{base}/report/", "#report-map.leaflet-container")
    page.context.clear_cookies()
    login(page, base, "leader")
    _visit(page, f"{base}/leadership/", "#choro-map path.leaflet-interactive")
    tooltip = page.locator(".leaflet-tooltip")
    for path in page.locator("#choro-map path.leaflet-interactive").all():
        path.hover(force=True)
        if tooltip.count() and "Центральный" in tooltip.first.inner_text():
            break
    else:
        raise AssertionError("no tooltip named the district")
    assert '<img id="injected"' in tooltip.first.inner_text()  # shown as text
    assert page.locator("#injected").count() == 0  # never parsed as markup
    screenshot(page, "csp-leadership-desk")
    assert page.evaluate("window.__csp") == [] and console == []
