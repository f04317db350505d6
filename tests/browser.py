"""Browser fixtures: Debian's Chromium driven by Playwright (never a downloaded browser).
Every request that leaves this machine is aborted, so tests never touch the network.

The pages send a Content-Security-Policy without 'unsafe-eval': give ``page.wait_for_function``
an arrow function (``"() => …"``), which Playwright calls directly; a bare expression string is
eval()-ed in the page while polling, and the CSP refuses that."""
from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API keeps an event loop in the test thread; the ORM calls that tests make
# beside it are still synchronous, so Django's async-safety guard does not apply.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# Route service workers' own fetches through the context's routes too, so the local-only guard
# (and offline tests) cover them; without it Playwright's Chromium lets them pass unseen.
os.environ.setdefault("PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS", "1")

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "var" / "test-artifacts"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield instance
        instance.close()


def _local_only(route: Any) -> None:
    host = route.request.url.split("/")[2].split(":")[0]
    if host in ("127.0.0.1", "localhost"):
        route.continue_()
    else:
        route.abort()


def _page(browser: Any, **options: Any) -> Iterator[Any]:
    context = browser.new_context(locale="ru-RU", **options)
    context.route("**/*", _local_only)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def phone_page(browser: Any) -> Iterator[Any]:
    yield from _page(browser, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                     device_scale_factor=2, geolocation={"latitude": 56.3269, "longitude": 44.0059},
                     permissions=["geolocation"])


@pytest.fixture
def desk_page(browser: Any) -> Iterator[Any]:
    yield from _page(browser, viewport={"width": 1366, "height": 900})


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def login(page: Any, base_url: str, username: str, password: str = "demo12345") -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main form button[type=submit]")
    page.wait_for_load_state("networkidle")


def open_appeal_popup(page: Any, base_url: str, appeal: Any, *, tap: bool = False) -> Any:
    """The public map at the appeal's point with its marker tapped (phone) or clicked: the
    popup's content, shown."""
    page.goto(f"{base_url}/map/?lat={appeal.location.y}&lon={appeal.location.x}&z=17")
    marker = page.locator(f'.dot[data-number="{appeal.number}"]')
    marker.wait_for(timeout=15000)
    if tap:
        marker.tap()
    else:
        marker.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    return popup


def assert_stacks_on_a_phone(html: str, table_id: str) -> None:
    """The table turns into one card per row on a phone (app.css, ``table.stack``): its title
    cell is ``td.name`` and every other cell names its column in ``data-label``."""
    at = html.index(f'id="{table_id}"')
    opening = html[html.rindex("<table", 0, at):html.index(">", at)]
    assert re.search(r'class="([^"]* )?stack[ "]', opening), opening
    cells = re.findall(r"<td\b[^>]*>", html[at:html.index("</table>", at)])
    assert cells and [cell for cell in cells if 'class="name' not in cell and "data-label=" not in cell] == []


def sideways_scroll(page: Any, table_id: str) -> int:
    """How far the table's scroll box (its ``.table-wrap``) scrolls sideways, in CSS pixels."""
    return page.evaluate("id => { const box = document.getElementById(id).closest('.table-wrap');"
                         " return box.scrollWidth - box.clientWidth; }", table_id)
