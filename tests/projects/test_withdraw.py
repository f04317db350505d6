"""The author withdraws their project: only the author (or an administrator), only before
anyone voted for it and before the district's voting opens for it; the reason is required and
public; followers hear of it through the real Celery worker; nothing is written on refusal."""
from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from inbox.models import Notification
from projects import actions
from projects.models import ProjectStatus
from tests.projects.conftest import close_all, open_all
from tests.projects.test_followers import wait_for

REASON = "Управляющая компания сама отремонтирует площадку летом"


def _state(project):
    project.refresh_from_db()
    return project.status, project.events.count()


@pytest.mark.django_db
def test_only_the_author_withdraws_a_submitted_project_with_a_public_reason(make_cycle, make_project, personas):
    cycle = make_cycle({"support"})
    project = make_project(cycle.headings.get(), feasible=None, title="Площадка у дома 5")
    url = f"/projects/{project.pk}/withdraw/"
    before = _state(project)

    # others: the form is not offered and the POST is refused
    for name in ("other_citizen", "operator", "leader"):
        client = personas.client(name)
        assert 'id="withdraw-form"' not in client.get(f"/projects/{project.pk}/").content.decode()
        assert client.post(url, {"reason": REASON}).status_code == 403, name
    assert personas.client("anonymous").post(url, {"reason": REASON}).status_code == 302  # to the login page
    assert personas.client("citizen").get(url).status_code == 405
    with pytest.raises(PermissionDenied):
        actions.do_withdraw_project(project, actor=personas.other_citizen, reason=REASON)
    assert _state(project) == before

    author = personas.client("citizen")
    page = author.get(f"/projects/{project.pk}/").content.decode()
    assert 'id="withdraw-form"' in page
    # a reason is required, and not a novel
    empty = author.post(url, {"reason": "   "})
    assert empty.status_code == 400 and "причина будет видна всем" in empty.content.decode()
    long = author.post(url, {"reason": "я" * 1001})
    assert long.status_code == 400 and "Не больше 1000 символов" in long.content.decode()
    assert _state(project) == before

    assert author.post(url, {"reason": REASON}).status_code == 302
    project.refresh_from_db()
    assert project.status == ProjectStatus.WITHDRAWN
    event = project.events.order_by("-id").first()
    assert (event.kind, event.note, event.actor) == ("withdraw", REASON, personas.citizen)
    public = personas.client("anonymous").get(f"/projects/{project.pk}/").content.decode()
    assert "Проект отозван" in public and REASON in public and 'id="withdraw-form"' not in public
    # twice: too late now
    again = author.post(url, {"reason": REASON})
    assert again.status_code == 409 and "отозвать его нельзя" in again.content.decode()
    assert project.events.count() == before[1] + 1


@pytest.mark.django_db
def test_no_withdrawal_once_voted_for_in_voting_or_after_selection(make_cycle, make_project, personas):
    cycle = make_cycle()
    heading = cycle.headings.get()
    voted, waiting, selected = (make_project(heading, title=t) for t in ("Сквер", "Фонари", "Дорожка"))
    open_all(cycle, "voting")
    # voting open: an admitted project stays on the ballot
    with pytest.raises(actions.Conflict, match="Голосование по району уже идёт"):
        actions.do_withdraw_project(waiting, actor=personas.citizen, reason=REASON)
    page = personas.client("citizen").get(f"/projects/{waiting.pk}/").content.decode()
    assert 'id="withdraw-refusal"' in page and 'id="withdraw-form"' not in page
    actions.do_cast_ballot(heading, voter=personas.other_citizen, choices=[{"project": voted.pk}])
    close_all(cycle, "voting")
    # after the vote closed: a project somebody voted for still cannot be taken back
    response = personas.client("citizen").post(f"/projects/{voted.pk}/withdraw/", {"reason": REASON})
    assert response.status_code == 409 and "За проект уже голосовали" in response.content.decode()
    # nobody voted for this one and voting is over: the author may still withdraw it
    actions.do_withdraw_project(waiting, actor=personas.citizen, reason=REASON)
    open_all(cycle, "selection")
    actions.do_run_selection(heading, actor=personas.leader)
    selected.refresh_from_db()
    assert selected.status in (ProjectStatus.SELECTED, ProjectStatus.NOT_SELECTED)
    with pytest.raises(actions.Conflict, match="прошёл отбор"):
        actions.do_withdraw_project(selected, actor=personas.citizen, reason=REASON)
    voted.refresh_from_db()
    waiting.refresh_from_db()
    assert voted.status != ProjectStatus.WITHDRAWN and waiting.status == ProjectStatus.WITHDRAWN


@pytest.mark.django_db
def test_administrator_withdraws_at_the_authors_request_with_a_reason(make_cycle, make_project, personas):
    cycle = make_cycle({"support"})
    project = make_project(cycle.headings.get(), feasible=None)
    with pytest.raises(ValidationError) as error:
        actions.do_withdraw_project(project, actor=personas.admin)
    assert "reason" in error.value.message_dict
    actions.do_withdraw_project(project, actor=personas.admin, reason="По заявлению автора от 28.11.2026")
    project.refresh_from_db()
    assert project.status == ProjectStatus.WITHDRAWN
    assert project.events.order_by("-id").first().actor == personas.admin


@pytest.mark.django_db(transaction=True)
def test_supporters_hear_that_the_project_was_withdrawn(make_cycle, make_project, personas, celery_worker_process):
    cycle = make_cycle({"support"})
    project = make_project(cycle.headings.get(), feasible=None, title="Спортплощадка на Мира")
    actions.do_support_project(project, actor=personas.other_citizen)
    actions.do_withdraw_project(project, actor=personas.citizen, reason=REASON)
    notice = wait_for(lambda: Notification.objects.filter(
        user=personas.other_citizen, kind="subscription", title__contains="Спортплощадка на Мира» отозван автором").first())
    assert REASON in notice.body
    # not the author who did it
    assert not Notification.objects.filter(user=personas.citizen, kind="subscription",
                                           title__contains="отозван").exists()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_author_withdraws_on_a_phone(live_server, make_cycle, make_project, personas, phone_page):
    from tests.browser import login, screenshot

    cycle = make_cycle({"support"})
    project = make_project(cycle.headings.get(), feasible=None, title="Лавочки у пруда")
    page = phone_page
    login(page, live_server.url, "citizen")
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    page.locator("#withdraw summary").tap()
    page.locator("#withdraw-reason").fill(REASON)
    page.locator("#withdraw").screenshot(path=str(screenshot(page, "projects-withdraw-form-phone")))
    with page.expect_navigation():  # the answer to the POST, not the page it was sent from
        page.get_by_role("button", name="Отозвать проект").tap()
    assert "Проект отозван" in page.locator("body").inner_text()
    assert REASON in page.locator("#history").inner_text()
    assert page.locator("#withdraw-form").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "projects-withdrawn-phone")
    project.refresh_from_db()
    assert project.status == ProjectStatus.WITHDRAWN
