"""A walk per role from the home page: every link a role is shown (menus, project cards, ballot
and proposal buttons, desks) answers neither 403 nor a server error. The walk runs in headless
Chromium's own session (requests with the browser context's cookies against the live server,
signed in through the login form) and reads the links of each server-rendered page; links that
scripts draw (desk and queue lists) are left to the desks' own browser tests."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest

from infocenter import discussion
from issues import actions
from tests.frontend_map.test_map_pages import screenshot
from tests.frontend_map.test_projects_map import build_projects
from tests.issues.helpers import make_appeal

ROLES = ["anonymous", "citizen", "operator", "executor_roads", "head_roads", "moderator", "leader", "admin"]
SKIP = re.compile(r"^/(admin|static|media|accounts/logout|i18n|sw\.js|manifest|api/v1/docs|api/v1/schema)")
PAGES_PER_ROLE = 11  # distinct page shapes read per role (the menus and what they lead to); a link of each shape is checked once


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href and not href.startswith(("#", "mailto:", "tel:", "javascript:")):
                self.hrefs.append(href)


def shape(url: str) -> str:
    """Pages that differ only by ids or query values are one page for the walk."""
    parts = urlsplit(url)
    keys = ",".join(sorted({p.split("=")[0] for p in parts.query.split("&") if p}))
    return re.sub(r"/\d+/", "/N/", parts.path) + "?" + keys


def walk(request: Any, base: str) -> tuple[dict[str, int], int]:
    """Breadth first from the home page; returns the bad links (url → status) and pages read.
    Each page is fetched once: the check of a link keeps the page for reading it later."""
    fetched: dict[str, tuple[int, str]] = {}

    def fetch(local: str) -> tuple[int, str]:
        if local not in fetched:
            response = request.get(base + local, max_redirects=0)
            html = "text/html" in response.headers.get("content-type", "") and response.status == 200
            fetched[local] = (response.status, response.text() if html else "")
        return fetched[local]

    checked: set[str] = set()
    read_shapes: set[str] = set()
    queue = ["/"]
    bad: dict[str, int] = {}
    while queue and len(read_shapes) < PAGES_PER_ROLE:
        path = queue.pop(0)
        if shape(path) in read_shapes:
            continue
        read_shapes.add(shape(path))
        status, html = fetch(path)
        if status >= 400:
            bad[path] = status
            continue
        parser = Links()
        parser.feed(html)
        for href in parser.hrefs:
            url = urljoin(base + path, href)
            if not url.startswith(base):
                continue
            local = url[len(base):].split("#")[0] or "/"
            if SKIP.match(local) or shape(local) in checked:
                continue
            checked.add(shape(local))
            status = fetch(local)[0]
            if status == 403 or status >= 500:
                bad[local] = status
            elif status == 200:
                queue.append(local)
    return bad, len(read_shapes)


def sign_in(request: Any, base: str, username: str) -> None:
    """Through the login form, in the browser context's own cookie jar (no page to render)."""
    form = request.get(f"{base}/accounts/login/").text()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    assert token
    response = request.post(f"{base}/accounts/login/", max_redirects=0, headers={"Referer": f"{base}/accounts/login/"},
                            form={"csrfmiddlewaretoken": token.group(1), "username": username,
                                  "password": "demo12345"})
    assert response.status == 302, f"{username} could not sign in"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_no_role_is_shown_a_link_that_answers_403_or_an_error(live_server, personas, browser):
    projects = build_projects(personas)  # a cycle with every phase open: proposals, support, ballots
    appeal = make_appeal(personas.citizen, "roads-potholes", text="Яма у дома 3 по улице Минина.")
    actions.accept_appeal(appeal, actor=personas.executor_a)
    actions.answer_appeal(appeal, actor=personas.executor_a, text="Яма заделана асфальтом.", result="measures_taken")
    make_appeal(personas.citizen, "light-street", text="Не горит фонарь у дома 5 на Ильинской.")
    comment = discussion.post_comment(actor=personas.other_citizen, kind="appeal", target_id=appeal.pk,
                                      text="Грубость в комментарии.")
    discussion.report_comment(actor=personas.citizen, comment=comment, reason="Оскорбления")
    assert projects
    found: dict[str, dict[str, int]] = {}
    pages: dict[str, int] = {}
    for role in ROLES:
        context = browser.new_context(locale="ru-RU")
        try:
            if role != "anonymous":
                sign_in(context.request, live_server.url, role)
            bad, pages[role] = walk(context.request, live_server.url)
            if bad:
                found[role] = bad
            if role == "leader":  # where voting is not theirs, the page says why (phone size)
                page = context.new_page()
                page.set_viewport_size({"width": 390, "height": 844})
                page.goto(f"{live_server.url}/projects/")
                assert "служебная учётная запись в голосовании не участвует" in page.locator("#why-not-vote").inner_text()
                assert page.locator("a[href*='/ballot/']").count() == 0
                screenshot(page, "desk-projects-leader-phone")
        finally:
            context.close()
    assert found == {}
    assert all(n >= 10 for n in pages.values()), pages  # the walk went somewhere for every role
