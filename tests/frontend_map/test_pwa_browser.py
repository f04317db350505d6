"""The PWA in real Chromium: the service worker takes over, serves cached pages and the offline
page without a network; the offline queue keeps a draft through network errors and server
failures and drops it after any definite answer (2xx or 4xx), always with its Idempotency-Key."""
from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.management import call_command

from tests.browser import login, screenshot

CACHED_URLS = """caches.keys().then(names => Promise.all(names.map(n => caches.open(n).then(c => c.keys()))))
  .then(lists => lists.flat().map(r => new URL(r.url).pathname))"""

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_service_worker_serves_the_shell_and_the_offline_page(live_server, personas, phone_page):
    call_command("load_library", stdout=None)
    page = phone_page
    page.goto(f"{live_server.url}/")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now controlled by the worker
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    assert page.evaluate("navigator.serviceWorker.controller.scriptURL").endswith("/sw.js")
    cached = page.evaluate(CACHED_URLS)
    assert {"/static/frontend_map/app.css", "/offline/", "/"} <= set(cached)

    # Playwright's offline mode does not reach the worker's own fetches: cut those off with a
    # route too (routes registered later win), so both the page and the worker are offline
    page.context.set_offline(True)
    page.context.route("**/*", _disconnected)
    try:
        page.goto(f"{live_server.url}/")  # visited before: from the cache
        assert page.locator("h1").inner_text().startswith("Геопортал")
        assert page.evaluate("getComputedStyle(document.querySelector('.topbar')).position") == "sticky"
        page.goto(f"{live_server.url}/library/never-visited/")  # not cached: the offline page
        assert "Нет подключения к сети" in page.locator("h1").inner_text()
        screenshot(page, "offline-phone")
    finally:
        page.context.unroute("**/*", _disconnected)
        page.context.set_offline(False)


def test_service_worker_keeps_no_personal_page_and_forgets_pages_on_sign_out(live_server, personas, phone_page):
    from tests.issues.helpers import make_appeal

    appeal = make_appeal(personas.citizen)
    page = phone_page
    page.goto(f"{live_server.url}/library/")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    login(page, live_server.url, "citizen")
    for path in ("/my/", f"/appeals/{appeal.pk}/", "/library/no-such-document/", "/library/"):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
    cached = set(page.evaluate(CACHED_URLS))
    assert "/library/" in cached
    assert not {"/my/", f"/appeals/{appeal.pk}/", "/accounts/login/", "/library/no-such-document/"} & cached
    page.click(".menu-toggle")
    page.click("form[action='/accounts/logout/'] button")
    page.wait_for_load_state("networkidle")
    page.wait_for_function("() => caches.keys().then(ks => !ks.some(k => k.startsWith('geoportal-pages-')))")
    assert "/library/" not in set(page.evaluate(CACHED_URLS))


def _disconnected(route: Any) -> None:
    route.abort("internetdisconnected")


def test_offline_queue_drops_sent_drafts_keeps_refused_ones_aside_and_retries_the_rest(live_server, region, desk_page):
    page = desk_page
    seen: list[dict[str, Any]] = []

    def answer(route: Any) -> None:
        request = route.request
        outcome = request.url.rsplit("/", 2)[-2]
        seen.append({"outcome": outcome, "key": request.headers.get("idempotency-key"),
                     "body": request.post_data_buffer or b""})
        if outcome == "offline":
            route.abort("internetdisconnected")
        else:
            route.fulfill(status={"created": 201, "refused": 400, "broken": 503}[outcome], body="{}")

    page.route("**/queue-test/**", answer)
    page.goto(f"{live_server.url}/")
    page.add_script_tag(url="/static/frontend_map/offline-queue.js")
    page.wait_for_function("() => window.geoportal && window.geoportal.offlineQueue")
    for outcome in ("created", "refused", "broken", "offline"):
        page.evaluate("([url, key]) => window.geoportal.offlineQueue.enqueue(url, {text: 'Яма', tags: ['a', 'b']}, key)",
                      [f"/queue-test/{outcome}/", f"key-{outcome}"])
    outcomes = page.evaluate("window.geoportal.offlineQueue.flush()")
    assert {o["key"]: o["state"] for o in outcomes} == {
        "key-created": "sent", "key-refused": "rejected", "key-broken": "pending", "key-offline": "pending"}
    left = page.evaluate("window.geoportal.offlineQueue.pending().then(items => items.map(i => i.key).sort())")
    assert left == ["key-broken", "key-offline"]
    # a refused draft is kept (never retried, never silently dropped) with the server's answer
    refused = page.evaluate("window.geoportal.offlineQueue.rejected()")
    assert [(r["key"], r["status"], r["fields"]["text"]) for r in refused] == [("key-refused", 400, "Яма")]
    assert {s["outcome"]: s["key"] for s in seen} == {o: f"key-{o}" for o in ("created", "refused", "broken", "offline")}
    body = next(s["body"] for s in seen if s["outcome"] == "created").decode()
    assert 'name="text"' in body and "Яма" in body and body.count('name="tags"') == 2

    # the next flush (say, back online) retries only what was left, with the same keys
    seen.clear()
    page.unroute("**/queue-test/**")
    page.route("**/queue-test/**", lambda route: (seen.append({"key": route.request.headers.get("idempotency-key")}),
                                                  route.fulfill(status=201, body=json.dumps({"ok": True}))))
    page.evaluate("window.geoportal.offlineQueue.flush()")
    assert sorted(s["key"] for s in seen) == ["key-broken", "key-offline"]
    assert page.evaluate("window.geoportal.offlineQueue.all().then(items => items.map(i => i.key))") == ["key-refused"]
