"""Every information-centre page at phone size (390×844, touch) in real Chromium: nothing
overflows sideways (document width ≤ the window), a screenshot of each for a person to look at;
and the comment thread used with a finger: a citizen asks the agency, the official answers,
a neighbour reports, the moderator hides."""
from __future__ import annotations

import pytest
from django.core.management import call_command

from inbox.models import Notification
from infocenter.models import Comment, News
from tests.browser import login, screenshot
from tests.issues.helpers import make_appeal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PUBLIC_PAGES = [
    ("home", "/"), ("library", "/library/"), ("library-search", "/library/?q=обращение"),
    ("document", "/library/model-regulation-appeals/"), ("search", "/search/?q=обращения"),
    ("page", "/pages/how-appeals-work/"), ("stats", "/stats/"), ("stats-agencies", "/stats/agencies/"),
    ("stats-pivot", "/stats/pivot/"),
]


def assert_fits(page, name: str) -> None:
    widths = page.evaluate("[document.documentElement.scrollWidth, document.body.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[2] and widths[1] <= widths[2], (name, widths)
    screenshot(page, f"infocenter-{name}-phone")


@pytest.fixture
def content(personas):
    call_command("load_library", stdout=None)
    News.objects.create(title="Открыт приём инициативных проектов", body="Подайте **проект** до 1 марта.",
                        published_at="2026-01-10T10:00:00+03:00")
    # filed by the neighbour: the status notices the worker may deliver go to them, so the
    # citizen's notification centre holds exactly what the test puts there
    appeal = make_appeal(personas.other_citizen, "roads-potholes",
                         text="Яма у остановки «Школа», обращения не помогают.")
    return appeal


def test_every_information_centre_page_fits_a_phone(live_server, content, personas, phone_page):
    page = phone_page
    for name, url in PUBLIC_PAGES:
        response = page.goto(f"{live_server.url}{url}")
        assert response is not None and response.status == 200, (url, response and response.status)
        page.wait_for_load_state("networkidle")
        assert_fits(page, name)
    # the open menu with its notification badge, and the notification centre itself
    Notification.objects.filter(user=personas.citizen).delete()
    Notification.objects.create(user=personas.citizen, appeal=content, kind="subscription",
                                title=f"{content.number}: зарегистрировано — Ямы на дорогах",
                                body="ул. Длинноназванная-Бесконечная, дом 123456789, корпус 7")
    login(page, live_server.url, "citizen")
    page.goto(f"{live_server.url}/notifications/")
    assert page.locator(".notice-item.unread").count() == 1
    assert_fits(page, "notifications")
    page.click(".menu-toggle")
    assert page.locator("#nav-notifications .nav-badge").inner_text() == "1"
    screenshot(page, "infocenter-menu-badge-phone")
    page.click("#read-all")
    page.wait_for_load_state("networkidle")
    assert page.locator(".notice-item.unread").count() == 0 and page.locator(".nav-badge").count() == 0


def test_comment_thread_by_finger(live_server, content, personas, phone_page, desk_page):
    appeal = content
    page = phone_page
    login(page, live_server.url, "citizen2")
    page.goto(f"{live_server.url}/appeals/{appeal.pk}/#comments")
    page.fill("#comment-text", "Когда заделают яму? Дети ходят в школу по проезжей части.")
    page.check("#comment-question")
    page.click("#comment-form button[type=submit]")
    page.wait_for_selector(".comment .badge.sla-due_soon")
    question = Comment.objects.get(kind="appeal", target_id=appeal.pk)
    assert question.is_question and question.author_id == personas.other_citizen.pk
    assert "Житель" in page.inner_text(f"#comment-{question.pk} .comment-author")
    assert_fits(page, "appeal-question")
    # the official answers from the same page
    page.context.clear_cookies()
    login(page, live_server.url, "executor_roads")
    page.goto(f"{live_server.url}/appeals/{appeal.pk}/#comments")
    page.click(f"#comment-{question.pk} [data-action=reply]")
    page.fill(f"#reply-{question.pk}", "Ремонт запланирован на 15 ноября, участок огородят.")
    page.click(f"form[data-parent='{question.pk}'] button[type=submit]")
    page.wait_for_selector(".comment.official .official-badge")
    assert Comment.objects.get(parent=question).is_official
    assert_fits(page, "appeal-official-answer")
    # the author of the appeal reports the answer (as abuse, for the test), the moderator hides it
    page.context.clear_cookies()
    login(page, live_server.url, "citizen")
    page.goto(f"{live_server.url}/appeals/{appeal.pk}/#comments")
    answer = Comment.objects.get(parent=question)
    page.click(f"#comment-{answer.pk} [data-action=report]")
    page.select_option(f"#mini-{answer.pk}", index=1)
    page.click(f"#comment-{answer.pk} .mini-form button[type=submit]")
    page.wait_for_selector(f"#comment-{answer.pk} [data-action=report]:disabled")
    assert answer.reports.get().reason == "Персональные данные"
    desk = desk_page
    login(desk, live_server.url, "moderator")
    desk.goto(f"{live_server.url}/appeals/{appeal.pk}/#comments")
    desk.click(f"#comment-{answer.pk} [data-action=hide]")
    desk.fill(f"#mini-{answer.pk}", "проверка жалобы")
    desk.click(f"#comment-{answer.pk} .mini-form button[type=submit]")
    desk.wait_for_selector(f"#comment-{answer.pk}.is-hidden")
    screenshot(desk, "infocenter-appeal-moderator-desk")
    answer.refresh_from_db()
    assert answer.is_hidden and answer.moderation_note == "проверка жалобы"
    page.reload()
    assert page.locator(f"#comment-{answer.pk}").count() == 0 and page.locator(f"#comment-{question.pk}").count() == 1
    # following from the thread
    page.click("[data-comments] [data-follow]")
    page.wait_for_selector("[data-follow][aria-pressed=true]")
    assert personas.citizen.subscriptions.filter(kind="appeal", target_id=appeal.pk).exists()


def test_home_library_and_document_at_desk_size(live_server, content, desk_page):
    for name, url in (("home", "/"), ("library", "/library/"), ("document", "/library/model-regulation-appeals/"),
                      ("search", "/search/?q=обращения")):
        desk_page.goto(f"{live_server.url}{url}")
        desk_page.wait_for_load_state("networkidle")
        widths = desk_page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], (name, widths)
        assert desk_page.locator("#main-nav").is_visible()  # the full navigation, no menu button
        screenshot(desk_page, f"infocenter-{name}-desk")
    assert "Открыт приём инициативных проектов" in desk_page.goto(f"{live_server.url}/").text()
