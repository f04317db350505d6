"""Accessibility (issue 5: "labels, contrast, keyboard"): axe-core (shipped inside the pinned
PyPI package axe-playwright-python, never a CDN) audits the key pages in real headless Chromium
at phone size (390×844). No violation rated "serious" or "critical" may remain; a failure
lists the rule, its impact, the offending selectors and axe's help text so it can be fixed.
Requests that leave the machine (base-map tiles) are aborted by the phone_page fixture."""
from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from issues import actions
from tests.browser import login, screenshot
from tests.frontend_map.test_projects_map import build_projects
from tests.issues.helpers import make_appeal

BLOCKING = {"serious", "critical"}
# Elements axe must skip, each with the reason. Only third-party widgets we cannot fix cleanly
# belong here; our own templates and CSS are fixed instead.
EXCLUDE: list[list[str]] = []


def audit(page: Any) -> list[str]:
    """The page's serious/critical violations as readable lines (empty when clean); the page is
    saved as a screenshot (var/test-artifacts/a11y-*.png) to look at."""
    page.wait_for_load_state("networkidle")
    slug = page.url.split("/", 3)[3].split("?")[0].strip("/").replace("/", "-")
    screenshot(page, f"a11y-{slug or 'home'}")
    context: dict[str, Any] = {"include": [["html"]]}
    if EXCLUDE:
        context["exclude"] = EXCLUDE
    results = Axe().run(page, context=context)
    lines = []
    for violation in results.response["violations"]:
        if violation["impact"] not in BLOCKING:
            continue
        targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]][:8]
        lines.append(f"{page.url}: {violation['id']} ({violation['impact']}) {violation['help']} "
                     f"[{violation['helpUrl']}] on {targets}")
    return lines


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_key_pages_have_no_serious_accessibility_violations(live_server, personas, phone_page):
    from django.core.management import call_command

    call_command("load_library", stdout=None)  # news and documents for the home page and library
    appeal = make_appeal(personas.citizen, "roads-potholes", text="Глубокая яма у дома 7 по улице Мира.")
    actions.accept_appeal(appeal, actor=personas.executor_a)
    actions.answer_appeal(appeal, actor=personas.executor_a, text="Яма заделана, фото приложено.",
                          result="measures_taken")
    project = build_projects(personas)["square"]
    page, base = phone_page, live_server.url
    found: list[str] = []
    for path in ("/", "/map/", f"/appeals/{appeal.pk}/", "/projects/", f"/projects/{project.pk}/",
                 "/library/", "/stats/"):
        page.goto(base + path)
        found += audit(page)
        if path == "/":  # the phone menu, hidden until opened, is audited open too
            page.click(".menu-toggle")
            found += audit(page)
    login(page, base, "citizen")
    for path in ("/report/", "/notifications/"):
        page.goto(base + path)
        found += audit(page)
    assert not found, "axe-core found serious/critical violations:\n" + "\n".join(found)
