"""The initiative projects' refusals (the API's 400/409 answers, the project page's forms) speak
the request's language: Russian by default, English for ``Accept-Language: en`` or the English
pages' cookie. What is stored (a resident's notices, the appeal a control report becomes) stays
Russian whatever page the official acted on. And no Russian text of the projects' request
modules bypasses gettext."""
from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from inbox.models import Notification
from issues.models import Appeal, Category
from projects import actions
from projects.models import BallotRule, ProjectStatus
from tests.i18n_checks import assert_translated, gettext_msgids, untranslated_cyrillic
from tests.projects.conftest import open_all
from tests.projects.official_helpers import implementing_project
from tests.projects.test_followers import wait_for

pytestmark = pytest.mark.django_db
CYRILLIC = re.compile(r"[А-Яа-яЁё]")
PROJECTS = Path(__file__).resolve().parents[2] / "projects"
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}


def english_cookie(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def contest(make_cycle, make_project):
    cycle = make_cycle({"voting", "support"}, ballot_rule=BallotRule.APPROVAL, max_approvals=2)
    heading = cycle.headings.get()
    projects = [make_project(heading, title=f"Двор {i}", cost=Decimal(80_000)) for i in range(3)]
    return cycle, heading, projects


def test_api_support_and_ballot_refusals_follow_the_language(contest, personas):
    cycle, heading, projects = contest
    support = f"/api/v1/projects/{projects[0].pk}/support/"
    assert personas.client("other_citizen").post(support).status_code == 200
    russian = personas.client("other_citizen").post(support)
    assert russian.status_code == 409 and russian["Content-Language"] == "ru"
    assert russian.json() == {"detail": "Вы уже поддержали этот проект"}
    english = personas.client("other_citizen").post(support, **ENGLISH)
    assert english.status_code == 409 and english["Content-Language"] == "en"
    assert english.json() == {"detail": "You have already supported this project"}

    ballot = f"/api/v1/headings/{heading.pk}/ballot/"
    three = {"choices": [{"project": p.pk} for p in projects]}
    russian = personas.client("citizen").post(ballot, three, content_type="application/json")
    assert russian.status_code == 400
    assert russian.json() == {"choices": ["Можно выбрать не более 2 проектов, выбрано 3"]}
    english = english_cookie(personas.client("citizen")).post(ballot, three, content_type="application/json")
    assert english.status_code == 400 and english["Content-Language"] == "en"
    assert english.json() == {"choices": ["At most 2 projects may be chosen; chosen: 3"]}
    twice = {"choices": [{"project": projects[0].pk}, {"project": projects[0].pk}]}
    assert personas.client("citizen").post(ballot, twice, content_type="application/json", **ENGLISH).json() == {
        "choices": ["A project is on the ballot twice"]}
    assert heading.ballots.count() == 0  # the refusals stored nothing

    cycle.phases.filter(kind="voting").delete()
    one = {"choices": [{"project": projects[0].pk}]}
    closed = personas.client("citizen").post(ballot, one, content_type="application/json")
    assert closed.status_code == 409
    assert closed.json() == {"detail": "Этап «голосование» конкурса «Тестовый конкурс» сейчас не идёт"}
    closed = personas.client("citizen").post(ballot, one, content_type="application/json", **ENGLISH)
    assert closed.json() == {"detail": "The “voting” stage of the contest “Тестовый конкурс” is not open now"}


def test_api_review_conflict_and_bbox_follow_the_language(contest, personas):
    cycle, _heading, projects = contest
    open_all(cycle, "review")
    review = f"/api/v1/projects/{projects[0].pk}/review/"  # already admitted: admitting again is a conflict
    body = {"feasible": True}
    russian = personas.client("operator").post(review, body, content_type="application/json")
    assert russian.status_code == 409
    assert russian.json() == {"detail": "Нельзя перевести проект из «допущен к конкурсу» в «допущен к конкурсу»"}
    english = english_cookie(personas.client("operator")).post(review, body, content_type="application/json")
    assert english.status_code == 409
    assert english.json() == {
        "detail": "The project cannot go from “admitted to the contest” to “admitted to the contest”"}
    unfeasible = personas.client("operator").post(f"/api/v1/projects/{projects[1].pk}/review/",
                                                  {"feasible": False}, content_type="application/json", **ENGLISH)
    assert unfeasible.status_code == 400
    assert unfeasible.json() == {"explanation": ["Explain why the project cannot be implemented"]}
    projects[1].refresh_from_db()
    assert projects[1].status == ProjectStatus.FEASIBLE  # unchanged
    client = personas.client("anonymous")
    assert client.get("/api/v1/projects/", {"bbox": "44,56"}).json() == {
        "bbox": ["bbox = запад,юг,восток,север в градусах"]}
    assert client.get("/api/v1/projects/", {"bbox": "44,56"}, **ENGLISH).json() == {
        "bbox": ["bbox = west,south,east,north in degrees"]}
    assert client.get("/api/v1/projects/", {"bbox": "44,57,43,56"}, **ENGLISH).json() == {
        "bbox": ["The bbox's bounds are wrong"]}


def test_api_selection_reasons_are_stored_in_russian_and_given_in_the_request_language(contest, personas):
    cycle, heading, projects = contest
    for key, picks in enumerate([[0, 1], [0, 1], [0, 2], [2]]):
        actions.do_enter_paper_ballot(heading, actor=personas.operator, voter_key=str(key),
                                      choices=[{"project": projects[i].pk} for i in picks])
    open_all(cycle, "selection")
    heading.money = Decimal(200_000)  # two of the three fit
    heading.save(update_fields=["money"])
    actions.do_run_selection(heading, actor=personas.leader)
    projects[2].refresh_from_db()
    stored = "не хватило средств: осталось 40 000, стоимость 80 000"
    assert projects[2].selection_reason == stored and projects[2].events.get(kind="selection").note == stored
    client = personas.client("anonymous")
    results = f"/api/v1/headings/{heading.pk}/results/"
    russian = {d["project"]: d["reason"] for d in client.get(results).json()["run"]["decisions"]}
    english = {d["project"]: d["reason"] for d in client.get(results, **ENGLISH).json()["run"]["decisions"]}
    assert russian[projects[2].pk] == stored
    assert english[projects[2].pk] == "not enough money: 40 000 left, it costs 80 000"
    assert english[projects[0].pk].startswith("fits: ") and russian[projects[0].pk].startswith("поместился: ")
    detail = client.get(f"/api/v1/projects/{projects[2].pk}/", **ENGLISH).json()["properties"]
    assert detail["selection_reason"] == "not enough money: 40 000 left, it costs 80 000"
    assert [e["note"] for e in detail["events"] if e["kind"] == "selection"] == [
        "not enough money: 40 000 left, it costs 80 000"]
    detail = client.get(f"/api/v1/projects/{projects[2].pk}/").json()["properties"]
    assert detail["selection_reason"] == stored
    assert [e["note"] for e in detail["events"] if e["kind"] == "selection"] == [stored]


def test_project_page_withdraw_form_refuses_in_the_page_language(make_cycle, make_project, personas):
    cycle = make_cycle({"support"})
    project = make_project(cycle.headings.get())
    url = f"/projects/{project.pk}/withdraw/"
    russian = personas.client("citizen").post(url, {"reason": "  "})
    assert russian.status_code == 400
    assert "Напишите, почему вы отзываете проект: причина будет видна всем" in russian.content.decode()
    author = english_cookie(personas.client("citizen"))
    english = author.post(url, {"reason": "  "})
    assert english.status_code == 400 and english["Content-Language"] == "en"
    page = english.content.decode()
    assert "Write why you are withdrawing the project: everyone will see the reason" in page
    assert "Напишите" not in page
    assert author.post(url, {"reason": "я" * 1001}).content.decode().count("At most 1000 characters") >= 1
    # someone else's project: 403; and once withdrawn, the refusal (409) in the page's language
    assert english_cookie(personas.client("other_citizen")).post(url, {"reason": "чужой"}).status_code == 403
    assert author.post(url, {"reason": "Сделает управляющая компания"}).status_code == 302
    again = author.post(url, {"reason": "Сделает управляющая компания"})
    assert again.status_code == 409
    assert ("The project has already been through selection or is closed: it cannot be withdrawn"
            in again.content.decode())
    russian = personas.client("citizen").post(url, {"reason": "Сделает управляющая компания"})
    assert russian.status_code == 409
    assert "Проект уже прошёл отбор или закрыт: отозвать его нельзя" in russian.content.decode()
    project.refresh_from_db()
    assert project.status == ProjectStatus.WITHDRAWN and project.events.filter(kind="withdraw").count() == 1


def test_project_page_support_refusal_is_shown_in_the_page_language(contest, personas):
    _cycle, _heading, projects = contest
    url = f"/projects/{projects[0].pk}/support/"
    english = english_cookie(personas.client("other_citizen"))
    first = english.post(url, follow=True)
    assert first.status_code == 200 and "Thank you! You support the project. Supporters: 1" in first.content.decode()
    again = english.post(url, follow=True).content.decode()
    assert "You have already supported this project" in again and "Вы уже поддержали" not in again
    russian = personas.client("other_citizen").post(url, follow=True).content.decode()
    assert "Вы уже поддержали этот проект" in russian
    projects[0].refresh_from_db()
    assert projects[0].supports_count == 1


def test_official_monitoring_page_refuses_in_the_page_language(make_cycle, make_project, personas):
    project = implementing_project(make_cycle, make_project, personas)  # contract 90 000
    path = f"/projects/{project.pk}/monitoring/"
    english = english_cookie(personas.client("executor_a"))
    expense = {"form": "expense", "amount": "100000", "paid_on": "2026-06-01", "description": "Аванс"}
    over = english.post(path, expense)
    assert over.status_code == 400 and over["Content-Language"] == "en"
    assert "The expenses would exceed the contract amount: already 0, contract 90 000" in over.content.decode()
    russian = personas.client("executor_a").post(path, expense)
    assert russian.status_code == 400
    assert "Расходы превысят сумму контракта: уже 0, контракт 90 000" in russian.content.decode()
    assert english.post(path, {"form": "milestone_add", "title": "Укладка плитки", "weight": "1"}).status_code == 302
    unfinished = english.post(path, {"form": "complete"})
    assert unfinished.status_code == 409 and "Not every stage is done" in unfinished.content.decode()
    assert "Не все этапы выполнены" in personas.client("executor_a").post(path, {"form": "complete"}).content.decode()
    project.refresh_from_db()
    assert project.status == ProjectStatus.IN_PROGRESS and not project.expenses.exists()
    # the same button once every stage is done: the project is completed (it used to be refused
    # with "no such report": the page looked up a control report for every form but the first five)
    stage = project.milestones.get()
    assert english.post(path, {"form": "milestone_update", "milestone": stage.pk, "status": "done"}).status_code == 302
    done = english.post(path, {"form": "complete"}, follow=True)
    assert done.status_code == 200 and "No such report" not in done.content.decode()
    project.refresh_from_db()
    assert project.status == ProjectStatus.COMPLETED


@pytest.mark.django_db(transaction=True)
def test_a_control_report_filed_on_an_english_page_is_stored_and_told_in_russian(make_cycle, make_project,
                                                                                 personas, celery_worker_process):
    project = implementing_project(make_cycle, make_project, personas)
    report = actions.do_submit_control_report(project, author=personas.other_citizen, kind="quality",
                                              text="Плитка уложена без основания, уже шатается у входа")
    signs = Category.objects.get(code="roads-signs")  # no photo required
    with translation.override("en"):  # what an official's English page has active
        with pytest.raises(actions.Conflict) as refused:
            actions.do_answer_control_report(report, actor=personas.operator, answer="Проверим")
            actions.do_answer_control_report(report, actor=personas.operator, answer="Ещё раз")
        assert str(refused.value) == "This report has already been answered"
        report.refresh_from_db()
        filed = actions.do_file_control_report(report, actor=personas.operator, category=signs)
    appeal = Appeal.objects.get(pk=filed.appeal_id)
    assert appeal.text.startswith(f"Контроль реализации инициативного проекта «{project.title}» "
                                  f"(/projects/{project.pk}/), качество работ: Плитка")
    answered = wait_for(lambda: Notification.objects.filter(user=personas.other_citizen,
                                                            title__startswith="Ответ на ваш").first())
    assert answered.title == f"Ответ на ваш отчёт о контроле по проекту «{project.title}»"
    told = wait_for(lambda: Notification.objects.filter(user=personas.other_citizen,
                                                        title__contains="передан как обращение").first())
    assert told.title == f"Ваш отчёт о контроле по проекту «{project.title}» передан как обращение {appeal.number}"
    assert told.body.startswith("Обращение направлено: ")


MODULES = (*sorted(str(path.relative_to(PROJECTS)) for path in (PROJECTS / "actions").glob("*.py")),
           "access.py", "queries.py", "api.py", "serializers.py", "models.py", "pages.py", "pages_submit.py",
           "pages_ballot.py", "forms.py", "forms_official.py", "views_official.py", "views_commission.py",
           "views_monitoring.py")


def test_every_russian_refusal_of_the_projects_goes_through_gettext_and_has_an_english_translation():
    left = [text for name in MODULES for text in untranslated_cyrillic(PROJECTS / name)]
    # stored in Russian (a resident's notices, an appeal's text), never shown as a refusal
    stored = [actions.CONTROL_ANSWERED, actions.CONTROL_APPEAL_TEXT, actions.CONTROL_FILED,
              actions.CONTROL_FILED_BODY, actions.CONTROL_FILED_NO_AGENCY]
    assert sorted(left) == sorted(stored)
    msgids = gettext_msgids(PROJECTS / name for name in MODULES)
    assert len(msgids) >= 150
    assert_translated(msgids)
