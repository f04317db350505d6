"""The citizen's survey after an answer, end to end in Chromium: the form on the appeal page
sends all five answers, a low score on an unsolved problem reopens the appeal, and the figures
reach the satisfaction statistics."""
from __future__ import annotations

import pytest

from issues import actions
from issues.models import Rating, Status
from tests.browser import login, screenshot
from tests.issues.helpers import make_appeal


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_low_score_on_an_unsolved_problem_reopens_and_reaches_the_statistics(live_server, personas, phone_page):
    appeal = make_appeal(personas.citizen, "roads-potholes", text="Яма во всю ширину дороги у школы.")
    actions.accept_appeal(appeal, actor=personas.executor_a)
    actions.answer_appeal(appeal, actor=personas.executor_a, text="Работы включены в план ремонта.",
                          result="explained")
    page = phone_page
    login(page, live_server.url, "citizen")
    page.goto(f"{live_server.url}/appeals/{appeal.pk}/")
    page.check("#solved-no")
    page.select_option("#score", "1")
    page.select_option("#politeness", "4")
    page.select_option("#timeliness", "2")
    page.fill("#comment", "Яма на месте, ничего не сделано.")
    screenshot(page, "appeal-survey-phone")
    with page.expect_navigation():
        page.click("#rate-form button[type=submit]")
    rating = Rating.objects.get(appeal=appeal)
    assert (rating.solved, rating.score, rating.politeness, rating.timeliness) == (False, 1, 4, 2)
    assert rating.comment == "Яма на месте, ничего не сделано."
    appeal.refresh_from_db()
    assert appeal.status == Status.IN_PROGRESS and appeal.reopen_count == 1 and appeal.answered_at is None
    assert page.locator("#rate-form").count() == 0  # reopened: nothing to rate until the next answer

    body = personas.client("leader").get("/api/v1/stats/satisfaction", {"by": "agency"}).json()
    total = body["results"][-1]
    assert (total["rated"], total["satisfaction_avg"], total["solved_share"]) == (1, 1.0, 0.0)
    assert (total["politeness_avg"], total["timeliness_avg"], total["reopened"]) == (4.0, 2.0, 1)
    assert total["satisfaction_1"] == 1 and "Яма на месте" not in str(body)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_survey_without_the_optional_answers(live_server, personas, desk_page):
    appeal = make_appeal(personas.citizen, "roads-potholes", text="Яма у остановки, опасно для автобусов.")
    actions.accept_appeal(appeal, actor=personas.executor_a)
    actions.answer_appeal(appeal, actor=personas.executor_a, text="Яма заделана.", result="measures_taken")
    login(desk_page, live_server.url, "citizen")
    desk_page.goto(f"{live_server.url}/appeals/{appeal.pk}/")
    desk_page.select_option("#score", "5")
    with desk_page.expect_navigation():
        desk_page.click("#rate-form button[type=submit]")
    rating = Rating.objects.get(appeal=appeal)
    assert (rating.solved, rating.score, rating.politeness, rating.timeliness) == (True, 5, None, None)
    appeal.refresh_from_db()
    assert appeal.status == Status.CLOSED and appeal.reopen_count == 0
