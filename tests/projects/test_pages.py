"""Residents' pages of initiative budgeting: who may open and use each (others get a login
redirect or 403), what they show — and never the author's, group members' or voters' personal
data — the proposal form's per-field errors and its idempotent token, support, ballot and
results with reasons."""
from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from projects import actions
from projects.models import BallotRule, Project, ProjectStatus, Support
from tests.projects.conftest import inside
from tests.projects.official_helpers import agency_of

pytestmark = pytest.mark.django_db

MEMBER = "Секретов Приватий Тайнович"
ADDRESS = "ул. Потайная, д. 13, кв. 7"


def proposal(target: Any, *, members: int = 10, token: str | None = None, **overrides: Any) -> dict[str, Any]:
    point = inside(target)
    data: dict[str, Any] = {
        "form_token": token or uuid.uuid4().hex, "heading": str(target.pk), "title": "Скамейки у пруда",
        "category": "greenery", "description": "Поставить пять скамеек вдоль дорожки у пруда",
        "problem": "Негде присесть пожилым", "expected_results": "Место отдыха",
        "geometry": json.dumps({"type": "Point", "coordinates": [point.x, point.y]}),
        "cost_name": ["Скамейка", "Установка"], "cost_quantity": ["5", "1"], "cost_unit": ["шт.", "компл."],
        "cost_price": ["12 000", "20000,50"],
        "cofinancing_residents": "8000", "cofinancing_business": "", "cofinancing_local_budget": "",
        "inkind_labour": "5000", "beneficiaries": "900", "durability_years": "10",
        "member_name": [f"{MEMBER} {i}" for i in range(members)],
        "member_birth": ["1980-05-17"] * members, "member_address": [ADDRESS] * members,
    }
    data.update(overrides)
    return data


# --- who may open what -------------------------------------------------------------------------

def test_list_project_and_results_pages_are_public(personas, make_cycle, make_project):
    cycle = make_cycle({"support"})
    heading = cycle.headings.get()
    project = make_project(heading, title="Освещение тропы")
    refused = make_project(heading, title="Фонтан на площади", feasible=False)
    anonymous = personas.client("anonymous")
    page = anonymous.get("/projects/").content.decode()
    assert "Освещение тропы" in page and "Фонтан на площади" in page and cycle.name in page
    assert anonymous.get(f"/projects/{project.pk}/").status_code == 200
    refused_page = anonymous.get(f"/projects/{refused.pk}/").content.decode()
    assert "Нет земельного участка" in refused_page  # the refusal is explained in public
    assert anonymous.get(f"/projects/headings/{heading.pk}/results/").status_code == 200
    assert anonymous.get("/projects/999999/").status_code == 404


def test_filters_narrow_the_list_and_the_map(personas, make_cycle, make_project):
    cycle = make_cycle({"support"}, districts=("centralny", "sovetsky"))
    central, soviet = cycle.headings.order_by("name")
    make_project(central, title="Площадка в центре", category="yards")
    make_project(soviet, title="Сквер в Советском", category="greenery", feasible=False)
    client = personas.client("anonymous")

    def titles(query: str) -> list[str]:
        body = client.get(f"/projects/?cycle={cycle.pk}&{query}").content.decode()
        found = re.search(r'id="project-features" type="application/json">(.*?)</script>', body)
        assert found is not None
        features = json.loads(found.group(1))["features"]
        return sorted(f["properties"]["title"] for f in features)

    assert titles("") == ["Площадка в центре", "Сквер в Советском"]
    assert titles(f"heading={soviet.pk}") == ["Сквер в Советском"]
    assert titles("status=feasible") == ["Площадка в центре"]
    assert titles("category=greenery") == ["Сквер в Советском"]


@pytest.mark.parametrize(("who", "expected"), [
    ("anonymous", 302), ("operator", 403), ("leader", 403), ("executor_a", 403), ("citizen", 200)])
def test_who_may_open_the_proposal_form(personas, make_cycle, who, expected):
    make_cycle({"submission"})
    response = personas.client(who).get("/projects/new/")
    assert response.status_code == expected
    if expected == 302:
        assert response["Location"].startswith("/accounts/login/")


def test_proposal_form_is_closed_outside_the_submission_phase(personas, make_cycle):
    make_cycle({"voting"})
    response = personas.client("citizen").get("/projects/new/")
    assert response.status_code == 403
    assert "Приём проектов закрыт" in response.content.decode()
    heading = make_cycle({"voting"}, name="Другой").headings.get()
    assert personas.client("citizen").post("/projects/new/", proposal(heading)).status_code == 403
    assert not Project.objects.exists()


@pytest.mark.parametrize(("who", "expected"), [
    ("anonymous", 302), ("operator", 403), ("leader", 403), ("moderator", 403), ("citizen", 200)])
def test_who_may_open_the_ballot(personas, make_cycle, make_project, who, expected):
    heading = make_cycle({"voting"}).headings.get()
    make_project(heading)
    assert personas.client(who).get(f"/projects/headings/{heading.pk}/ballot/").status_code == expected


def test_ballot_page_is_closed_outside_voting_and_shows_a_cast_ballot(personas, make_cycle, make_project):
    heading = make_cycle({"support"}).headings.get()
    project = make_project(heading, title="Спортплощадка")
    citizen = personas.client("citizen")
    closed = citizen.get(f"/projects/headings/{heading.pk}/ballot/")
    assert closed.status_code == 403 and "Голосование не идёт" in closed.content.decode()
    heading.cycle.phases.filter(kind="voting").update(starts_at=project.submitted_at - dt.timedelta(days=1),
                                                      ends_at=project.submitted_at + dt.timedelta(days=5))
    page = citizen.get(f"/projects/headings/{heading.pk}/ballot/").content.decode()
    assert 'id="ballot"' in page and "Спортплощадка" in page
    actions.do_cast_ballot(heading, voter=personas.citizen, choices=[{"project": project.pk}])
    page = citizen.get(f"/projects/headings/{heading.pk}/ballot/").content.decode()
    assert "Ваш бюллетень принят" in page and 'id="ballot"' not in page


# --- the proposal form -------------------------------------------------------------------------

def test_citizen_submits_a_project_and_a_repeated_post_creates_nothing_new(personas, make_cycle):
    heading = make_cycle({"submission"}).headings.get()
    citizen = personas.client("citizen")
    data = proposal(heading)
    response = citizen.post("/projects/new/", data)
    project = Project.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/projects/{project.pk}/"
    assert project.status == ProjectStatus.SUBMITTED and project.author_id == personas.citizen.pk
    assert project.cost_estimate == Decimal("80000.50")  # 5 × 12 000 + 20 000,50
    assert project.cofinancing_residents == Decimal(8000) and project.inkind_labour == Decimal(5000)
    assert project.group_members.count() == 10 and project.heading == heading
    assert project.geometry.geom_type == "Point"
    # a double tap / reload / retry of the same form: the same project, no second one
    again = citizen.post("/projects/new/", data)
    assert again.status_code == 302 and again["Location"] == f"/projects/{project.pk}/"
    assert Project.objects.count() == 1
    # a new form (new token) is a new project
    assert citizen.post("/projects/new/", proposal(heading)).status_code == 302
    assert Project.objects.count() == 2


def test_the_district_follows_the_place_and_lines_and_areas_are_accepted(personas, make_cycle):
    cycle = make_cycle({"submission"}, districts=("centralny", "sovetsky"))
    soviet = cycle.headings.get(district__code="sovetsky")
    p = inside(soviet)
    line = {"type": "LineString", "coordinates": [[p.x, p.y], [p.x + 0.0005, p.y + 0.0003]]}
    d = 0.0004
    area = {"type": "Polygon", "coordinates": [[[p.x, p.y], [p.x + d, p.y], [p.x + d, p.y + d], [p.x, p.y]]]}
    citizen = personas.client("citizen")
    for shape in (line, area):
        data = proposal(soviet, heading="", geometry=json.dumps(shape))
        assert citizen.post("/projects/new/", data).status_code == 302
    kinds = sorted(Project.objects.values_list("geometry", flat=True), key=lambda g: g.geom_type)
    assert [g.geom_type for g in kinds] == ["LineString", "Polygon"]
    assert set(Project.objects.values_list("heading_id", flat=True)) == {soviet.pk}


def test_bad_proposal_gets_errors_next_to_each_field_and_writes_nothing(personas, make_cycle):
    heading = make_cycle({"submission"}).headings.get()
    citizen = personas.client("citizen")
    data = proposal(heading, members=3, title="", geometry="", cofinancing_business="900000",
                    cost_price=["двенадцать", "20000"], cost_quantity=["5", "1"])
    response = citizen.post("/projects/new/", data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "Отметьте место проекта на карте" in body
    assert "Статья 1: количество и цена — числа" in body
    assert Project.objects.count() == 0
    # the title is required by the form; the action's own rules come once the form is whole
    data = proposal(heading, members=3, cofinancing_business="900000")
    body = citizen.post("/projects/new/", data).content.decode()
    assert "не менее 10 жителей старше 16 лет, указано 3" in body
    assert "Софинансирование больше стоимости проекта" in body
    # what the citizen typed is kept
    assert 'value="Скамейки у пруда"' in body and f'value="{MEMBER} 2"' in body
    young = proposal(heading)
    young["member_birth"] = ["2015-01-01"] * 10
    assert "указано 0" in citizen.post("/projects/new/", young).content.decode()
    far = proposal(heading, geometry=json.dumps({"type": "Point", "coordinates": [30.0, 59.9]}))
    assert "Место проекта вне района" in citizen.post("/projects/new/", far).content.decode()
    assert Project.objects.count() == 0
    # after the errors the same form (same token) still goes through once corrected
    fixed = proposal(heading, token=data["form_token"])
    assert citizen.post("/projects/new/", fixed).status_code == 302
    assert Project.objects.count() == 1


# --- privacy -----------------------------------------------------------------------------------

def test_no_personal_data_on_any_residents_page(personas, make_cycle, make_project):
    cycle = make_cycle({"submission", "review", "support", "voting"}, ballot_rule=BallotRule.APPROVAL)
    heading = cycle.headings.get()
    citizen = personas.client("citizen")
    citizen.post("/projects/new/", proposal(heading))
    project = Project.objects.get()
    actions.do_review_project(project, actor=personas.operator, feasible=True)
    actions.do_support_project(project, actor=personas.other_citizen)
    actions.do_cast_ballot(heading, voter=personas.other_citizen, choices=[{"project": project.pk}])
    cycle.phases.filter(kind="selection").update(starts_at=project.submitted_at - dt.timedelta(days=1),
                                                 ends_at=project.submitted_at + dt.timedelta(days=5))
    actions.do_run_selection(heading, actor=personas.leader)
    author, voter = personas.citizen, personas.other_citizen
    secrets = [MEMBER, ADDRESS, "1980-05-17", "17.05.1980", author.username, voter.username]
    secrets += [s for s in (author.email, voter.email, author.last_name, voter.last_name) if s]
    for who in ("anonymous", "other_citizen", "citizen"):
        client = personas.client(who)
        for url in ("/projects/", f"/projects/{project.pk}/", f"/projects/headings/{heading.pk}/results/",
                    f"/projects/headings/{heading.pk}/ballot/"):
            response = client.get(url)
            if response.status_code != 200:
                continue
            body = response.content.decode()
            # the signed-in viewer's own name may appear in the menu; never anybody else's data
            leaked = [s for s in secrets if s in body and not (who != "anonymous" and s == getattr(
                personas, who).username)]
            assert not leaked, (who, url, leaked)
    assert "10 жителей" in personas.client("anonymous").get(f"/projects/{project.pk}/").content.decode()


# --- support -----------------------------------------------------------------------------------

def test_support_button_once_per_citizen_in_the_support_phase(personas, make_cycle, make_project):
    heading = make_cycle({"support"}).headings.get()
    project = make_project(heading)
    url = f"/projects/{project.pk}/support/"
    other = personas.client("other_citizen")
    assert 'id="support-button"' in other.get(f"/projects/{project.pk}/").content.decode()
    assert other.post(url).status_code == 302
    again = other.post(url, follow=True).content.decode()
    assert "Вы уже поддержали этот проект" in again
    assert personas.client("operator").post(url).status_code == 403
    assert personas.client("anonymous").post(url)["Location"].startswith("/accounts/login/")
    assert other.get(url).status_code == 405
    heading.cycle.phases.filter(kind="support").update(ends_at=project.submitted_at - dt.timedelta(days=1),
                                                       starts_at=project.submitted_at - dt.timedelta(days=9))
    closed = personas.client("citizen").post(url, follow=True).content.decode()
    assert "сейчас не идёт" in closed and 'id="support-button"' not in closed
    project.refresh_from_db()
    assert project.supports_count == 1 and Support.objects.count() == 1


# --- results -----------------------------------------------------------------------------------

def test_results_page_gives_the_reason_for_every_project(personas, make_cycle, make_project):
    cycle = make_cycle({"voting", "selection"}, money=Decimal(100_000))
    heading = cycle.headings.get()
    first = make_project(heading, cost=Decimal(60_000), title="Площадка")
    second = make_project(heading, cost=Decimal(52_000), title="Тротуар")
    third = make_project(heading, cost=Decimal(40_000), title="Фонари")
    for key, picks in enumerate([[first, second, third], [first, second], [first]]):
        actions.do_enter_paper_ballot(heading, actor=personas.operator, voter_key=str(key),
                                      choices=[{"project": p.pk} for p in picks])
    actions.do_run_selection(heading, actor=personas.leader)
    body = personas.client("anonymous").get(f"/projects/headings/{heading.pk}/results/").content.decode()
    body = body.replace("\u00a0", " ")  # numbers are kept from wrapping with no-break spaces
    winners = body[body.index('id="winners"'):body.index('id="losers"')]
    losers = body[body.index('id="losers"'):]
    assert "Площадка" in winners and "Фонари" in winners and "Тротуар" in losers
    assert "Не хватило средств: осталось 40 000, стоимость 52 000" in losers
    assert "100 000" in body
    page = personas.client("anonymous").get(f"/projects/{second.pk}/").content.decode().replace("\u00a0", " ")
    assert "Не хватило средств: осталось 40 000, стоимость 52 000" in page
    # in English the same reasons are shown in English, the stored text stays Russian
    from django.conf import settings

    english = personas.client("anonymous")
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = english.get(f"/projects/headings/{heading.pk}/results/").content.decode().replace("\u00a0", " ")
    assert "Not enough money: 40 000 left, it costs 52 000" in body and "Fits: 3 votes, 40 000 left" in body
    assert "Не хватило" not in body and "Поместился" not in body
    page = english.get(f"/projects/{second.pk}/").content.decode().replace("\u00a0", " ")
    assert "Not enough money: 40 000 left, it costs 52 000" in page
    second.refresh_from_db()
    assert second.selection_reason == "не хватило средств: осталось 40 000, стоимость 52 000"


def test_results_page_before_the_selection(personas, make_cycle, make_project):
    heading = make_cycle({"voting"}).headings.get()
    make_project(heading)
    body = personas.client("anonymous").get(f"/projects/headings/{heading.pk}/results/").content.decode()
    assert "Итоги по этому району ещё не подведены" in body


def test_project_page_shows_progress_milestones_costs_and_cofinancing(personas, make_cycle, make_project):
    cycle = make_cycle({"implementation"})
    heading = cycle.headings.get()
    project = make_project(heading, cost=Decimal(200_000), cofinancing_residents=Decimal(20_000))
    # selected through a real run (selection phase opened for the moment)
    cycle.phases.filter(kind="selection").update(starts_at=project.submitted_at - dt.timedelta(days=1),
                                                 ends_at=project.submitted_at + dt.timedelta(days=5))
    actions.do_run_selection(heading, actor=personas.leader)
    actions.do_start_implementation(project, actor=personas.executor_a, contractor="ООО «Двор»",
                                    agency=agency_of(personas.executor_a), contract_amount=Decimal(190_000))
    design = actions.do_add_milestone(project, actor=personas.executor_a, title="Проектирование")
    actions.do_add_milestone(project, actor=personas.executor_a, title="Строительство", weight=Decimal(3))
    actions.do_update_milestone(design, actor=personas.executor_a, status="done")
    actions.do_record_expense(project, actor=personas.executor_a, amount=Decimal(57_000),
                              paid_on=timezone.localdate(), description="Аванс")
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.issues.helpers import jpeg_bytes

    spot = inside(heading)
    photo = actions.do_add_project_photo(project, actor=personas.executor_a, caption="Разметка площадки",
                                         upload=SimpleUploadedFile("w.jpg", jpeg_bytes((320, 240)), "image/jpeg"),
                                         location=spot)
    report = actions.do_submit_control_report(project, author=personas.other_citizen, text="Работы стоят", kind="delay")
    actions.do_answer_control_report(report, actor=personas.executor_a, answer="Уважаемый Пётр Секретович, работы идут")
    body = personas.client("anonymous").get(f"/projects/{project.pk}/").content.decode()
    assert f'src="/api/v1/map/project-photos/{photo.pk}.jpg"' in body and "Разметка площадки" in body
    assert "Оплата работ" in body and "Ответ на отчёт жителя о ходе работ" in body
    assert "Секретович" not in body and "Работы стоят" not in body
    assert 'id="progress-value">25%' in body  # 1 of weight 4 done
    assert "Проектирование" in body and "Строительство" in body and "ООО «Двор»" in body
    assert "57 000" in body and "190 000" in body
    assert "20 000" in body and "(10,0%)" in body  # residents' share of 200 000
    assert "180 000" in body  # asked from the contest
    assert "Начата реализация" in body  # the stage history


def test_pages_speak_english_when_asked(personas, make_cycle, make_project):
    from django.conf import settings

    cycle = make_cycle({"submission", "voting"}, ballot_rule=BallotRule.KNAPSACK)
    heading = cycle.headings.get()
    project = make_project(heading)
    for who in ("anonymous", "citizen"):
        client = personas.client(who)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        listing = client.get("/projects/").content.decode()
        assert "Initiative projects" in listing and "Filters" in listing and "Инициативные проекты" not in listing
        page = client.get(f"/projects/{project.pk}/").content.decode()
        assert "About the project" in page and "Who pays" in page and "О проекте" not in page
    citizen = personas.client("citizen")
    citizen.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    form = citizen.get("/projects/new/").content.decode()
    assert "Propose a project" in form and "Initiative group" in form and "Submit the project" in form
    ballot = citizen.get(f"/projects/headings/{heading.pk}/ballot/").content.decode()
    assert "Cast the ballot" in ballot and "over the district" in ballot


def test_residents_report_on_the_works_from_the_project_page(personas, make_cycle, make_project):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from projects.models import ControlReport
    from tests.issues.helpers import jpeg_bytes

    cycle = make_cycle({"implementation", "selection"})
    heading = cycle.headings.get()
    project = make_project(heading)
    waiting = make_project(heading, title="Ещё не отобран", feasible=None)
    actions.do_run_selection(heading, actor=personas.leader)
    actions.do_start_implementation(project, actor=personas.executor_a, contractor="ООО «Двор»",
                                    agency=agency_of(personas.executor_a))
    url = f"/projects/{project.pk}/control/"
    citizen = personas.client("other_citizen")
    assert 'id="control-form"' in citizen.get(f"/projects/{project.pk}/").content.decode()
    empty = citizen.post(url, {"kind": "delay", "text": "  "})
    assert empty.status_code == 400 and "Опишите, что не так" in empty.content.decode()
    photo = SimpleUploadedFile("site.jpg", jpeg_bytes((200, 150), gps=(56.3, 44.0)), "image/jpeg")
    sent = citizen.post(url, {"kind": "delay", "text": "Площадка огорожена, работ нет", "photo": photo})
    assert sent.status_code == 302 and sent["Location"].endswith("#control")
    report = ControlReport.objects.get()
    assert report.author_id == personas.other_citizen.pk and report.kind == "delay" and report.photo
    assert report.location is not None  # taken from the photo's GPS
    page = personas.client("anonymous").get(f"/projects/{project.pk}/").content.decode()
    assert "Жители сообщили о ходе работ: 1, ответов: 0" in page
    assert "Площадка огорожена" not in page and personas.other_citizen.username not in page
    assert 'id="control-form"' not in page
    assert personas.client("operator").post(url, {"text": "x y"}).status_code == 403
    assert personas.client("anonymous").post(url, {"text": "x y"})["Location"].startswith("/accounts/login/")
    early = citizen.post(f"/projects/{waiting.pk}/control/", {"kind": "quality", "text": "Ничего не сделано"})
    assert early.status_code == 409
    assert ControlReport.objects.count() == 1
