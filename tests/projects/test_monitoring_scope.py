"""Implementation monitoring is written only by the implementing agency's staff (or its parent
agency's), by the administration's operators and by administrators; executors see only their
agency's projects on the monitoring list."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.gis.geos import Point
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from geoportal.models import Agency, AgencyKind, Role, StaffMembership, StaffRole, User
from issues.models import Category
from projects import actions
from projects.models import ControlReportStatus, Project, ProjectStatus
from tests.issues.helpers import jpeg_bytes
from tests.projects.official_helpers import agency_of, implementing_project

HUGE = "1" + "0" * 20  # too many digits for any money or weight column


def _photo(project) -> SimpleUploadedFile:
    spot = project.geometry.point_on_surface
    return SimpleUploadedFile("works.jpg", jpeg_bytes(gps=(spot.y, spot.x)), "image/jpeg")


def _forms(project, stage, report, category) -> dict[str, dict]:
    return {
        "milestone_add": {"title": "Чужой этап", "weight": "1"},
        "milestone_update": {"milestone": stage.pk, "status": "done"},
        "expense": {"amount": "1000", "paid_on": "2026-06-01", "description": "Чужой платёж"},
        "photo": {"photo": _photo(project), "caption": "Чужое фото"},
        "answer": {"report": report.pk, "answer": "Чужой ответ"},
        "file": {"report": report.pk, "category": category.pk, "note": "Чужая передача"},
        "complete": {},
    }


def _snapshot(project) -> tuple:
    project.refresh_from_db()
    report = project.control_reports.get()
    return (project.status, project.progress_percent, project.milestones.count(),
            sorted(project.milestones.values_list("status", flat=True)), project.expenses.count(),
            project.photos.count(), report.status, report.answer, report.appeal_id, project.events.count())


def _selected(make_cycle, make_project, personas, *titles: str) -> list:
    """Projects of one heading, selected, in a cycle whose implementation phase is open."""
    heading = make_cycle({"selection", "implementation"}).headings.get()
    projects = [make_project(heading, title=t) for t in titles]
    actions.do_run_selection(heading, actor=personas.leader)
    for project in projects:
        project.refresh_from_db()
    return projects


@pytest.fixture
def roads_project(make_cycle, make_project, personas):
    """Implemented by the roads agency (Комдорхоз, executor_a's), one stage, one resident's report."""
    project = implementing_project(make_cycle, make_project, personas)
    stage = actions.do_add_milestone(project, actor=personas.executor_a, title="Основание")
    report = actions.do_submit_control_report(project, author=personas.other_citizen, kind="quality",
                                              text="Плитка шатается")
    return project, stage, report


@pytest.mark.django_db
def test_executor_of_another_agency_gets_403_on_every_monitoring_form(roads_project, personas):
    project, stage, report = roads_project
    assert project.implementing_agency.short_name == "Комдорхоз"
    category = Category.objects.filter(is_active=True, children__isnull=True).order_by("id").first()
    path = f"/projects/{project.pk}/monitoring/"
    light = personas.client("executor_b")  # Горсвет
    before = _snapshot(project)
    assert light.get(path).status_code == 403
    for form, data in _forms(project, stage, report, category).items():
        response = light.post(path, {"form": form, **data})
        assert response.status_code == 403, form
    assert _snapshot(project) == before  # nothing written

    # the roads executor and the roads head write; the operator too
    own = personas.client("executor_a")
    assert own.get(path).status_code == 200
    assert own.post(path, {"form": "milestone_add", "title": "Укладка", "weight": "1"}).status_code == 302
    assert own.post(path, {"form": "answer", "report": report.pk, "answer": "Переложим"}).status_code == 302
    head = personas.client("agency_head")
    assert head.post(path, {"form": "milestone_update", "milestone": stage.pk, "status": "done"}).status_code == 302
    operator = personas.client("operator")
    assert operator.post(path, {"form": "expense", "amount": "1000", "paid_on": "2026-06-01",
                                "description": "Аванс"}).status_code == 302
    report.refresh_from_db()
    assert (report.status, report.answer) == (ControlReportStatus.ANSWERED, "Переложим")
    assert project.milestones.count() == 2 and project.expenses.count() == 1
    assert project.milestones.get(pk=stage.pk).status == "done"


@pytest.mark.django_db
def test_actions_refuse_staff_of_another_agency(roads_project, personas):
    project, stage, report = roads_project
    light = Agency.objects.get(short_name="Горсвет")
    light_head = User.objects.create_user("head_light", password="x", role=Role.AGENCY_HEAD)
    StaffMembership.objects.create(user=light_head, agency=light, role=StaffRole.AGENCY_HEAD)
    category = Category.objects.filter(is_active=True, children__isnull=True).order_by("id").first()
    before = _snapshot(project)
    for outsider in (personas.executor_b, light_head):
        calls = [
            lambda a: actions.do_add_milestone(project, actor=a, title="Чужой"),
            lambda a: actions.do_update_milestone(stage, actor=a, status="done"),
            lambda a: actions.do_record_expense(project, actor=a, amount=Decimal(1), paid_on=dt.date(2026, 6, 1),
                                                description="Чужой"),
            lambda a: actions.do_add_project_photo(project, actor=a, upload=_photo(project)),
            lambda a: actions.do_answer_control_report(report, actor=a, answer="Чужой"),
            lambda a: actions.do_file_control_report(report, actor=a, category=category),
            lambda a: actions.do_complete_project(project, actor=a),
        ]
        for call in calls:
            with pytest.raises(PermissionDenied):
                call(outsider)
    assert _snapshot(project) == before
    # the administrator writes everywhere
    actions.do_add_milestone(project, actor=personas.admin, title="Приёмка")
    assert project.milestones.count() == 2


@pytest.mark.django_db
def test_parent_agency_staff_oversee_a_subordinate_agency(make_cycle, make_project, personas):
    roads = agency_of(personas.executor_a)
    depot = Agency.objects.create(name="Дорожный участок №3", short_name="ДУ-3", kind=AgencyKind.MUNICIPAL_SERVICE,
                                  parent=roads)
    foreman = User.objects.create_user("foreman", password="x", role=Role.EXECUTOR)
    StaffMembership.objects.create(user=foreman, agency=depot, role=StaffRole.EXECUTOR)
    cycle = make_cycle({"selection", "implementation"})
    heading = cycle.headings.get()
    mine, parents = make_project(heading, title="Участок ДУ-3"), make_project(heading, title="Объект Комдорхоза")
    actions.do_run_selection(heading, actor=personas.leader)
    actions.do_start_implementation(mine, actor=foreman, agency=depot, contract_amount=Decimal(90_000))
    # the head of the parent agency (Комдорхоз) writes to its subordinate's project
    actions.do_add_milestone(mine, actor=personas.agency_head, title="Разметка")
    # the subordinate's executor may not claim or write the parent agency's works
    with pytest.raises(PermissionDenied):
        actions.do_start_implementation(parents, actor=foreman, agency=roads)
    actions.do_start_implementation(parents, actor=personas.executor_a, agency=roads)
    with pytest.raises(PermissionDenied):
        actions.do_add_milestone(parents, actor=foreman, title="Чужой")
    assert mine.milestones.count() == 1 and parents.milestones.count() == 0


@pytest.mark.django_db
def test_start_records_the_agency_and_a_project_without_one_is_for_operators(make_cycle, make_project, personas):
    a, b, c = _selected(make_cycle, make_project, personas, "Сквер А", "Сквер Б", "Сквер В")
    roads, light = agency_of(personas.executor_a), agency_of(personas.executor_b)
    # an executor must name an agency, and only their own
    with pytest.raises(ValidationError) as error:
        actions.do_start_implementation(a, actor=personas.executor_a)
    assert "agency" in error.value.message_dict
    with pytest.raises(PermissionDenied):
        actions.do_start_implementation(a, actor=personas.executor_a, agency=light)
    a.refresh_from_db()
    assert (a.status, a.implementing_agency) == (ProjectStatus.SELECTED, None)
    # through the page: another agency's executor is refused, the own one records it
    path = f"/projects/{a.pk}/monitoring/"
    page = personas.client("executor_b").get(path)
    assert page.status_code == 200 and f'<option value="{light.pk}">' in page.content.decode()
    assert f'<option value="{roads.pk}">' not in page.content.decode()
    assert personas.client("executor_b").post(path, {"form": "start", "agency": roads.pk,
                                                     "contract_amount": "90000"}).status_code == 403
    bad = personas.client("executor_a").post(path, {"form": "start", "agency": "999999", "contract_amount": "1"})
    assert bad.status_code == 400 and "Выберите ведомство из списка" in bad.content.decode()
    assert personas.client("executor_a").post(path, {"form": "start", "agency": roads.pk, "contractor": "ООО Двор",
                                                     "contract_amount": "90000"}).status_code == 302
    a.refresh_from_db()
    assert (a.status, a.implementing_agency) == (ProjectStatus.IN_PROGRESS, roads)
    # the operator may start without an agency: then only operators and administrators write
    actions.do_start_implementation(b, actor=personas.operator)
    for staff in (personas.executor_a, personas.agency_head):
        with pytest.raises(PermissionDenied):
            actions.do_add_milestone(b, actor=staff, title="Без ведомства")
    assert personas.client("executor_a").get(f"/projects/{b.pk}/monitoring/").status_code == 403
    actions.do_add_milestone(b, actor=personas.operator, title="Оператор может")
    # the operator names any agency
    actions.do_start_implementation(c, actor=personas.operator, agency=light)
    c.refresh_from_db()
    assert c.implementing_agency == light


@pytest.mark.django_db
def test_monitoring_list_shows_an_executor_only_their_agency(make_cycle, make_project, personas):
    road, lamp, free = _selected(make_cycle, make_project, personas, "Дорожка", "Фонари", "Без подрядчика")
    # a selected project nobody has started is listed for every agency (to start it for theirs)
    html = personas.client("executor_b").get("/projects/monitoring/").content.decode()
    assert all(f'data-project="{p.pk}"' in html for p in (road, lamp, free))
    actions.do_start_implementation(road, actor=personas.executor_a, agency=agency_of(personas.executor_a))
    actions.do_start_implementation(lamp, actor=personas.operator, agency=agency_of(personas.executor_b))
    actions.do_start_implementation(free, actor=personas.operator)
    actions.do_submit_control_report(lamp, author=personas.citizen, text="Не горит", kind="quality",
                                     location=Point(lamp.geometry.centroid.x, lamp.geometry.centroid.y, srid=4326))

    def listed(name: str) -> set[int]:
        html = personas.client(name).get("/projects/monitoring/").content.decode()
        return {p.pk for p in (road, lamp, free) if f'data-project="{p.pk}"' in html}

    assert listed("executor_a") == {road.pk}
    assert listed("agency_head") == {road.pk}
    assert listed("executor_b") == {lamp.pk}
    assert listed("operator") == {road.pk, lamp.pk, free.pk}
    assert listed("admin") == {road.pk, lamp.pk, free.pk}
    # the office page counts the same projects and reports
    office = personas.client("executor_a").get("/projects/office/")
    assert office.context["implementing"] == 1 and office.context["open_reports"] == 0
    assert personas.client("executor_b").get("/projects/office/").context["open_reports"] == 1


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_executor_starts_works_for_their_agency_on_a_phone(live_server, make_cycle, make_project, personas,
                                                           phone_page):
    from tests.browser import login, screenshot

    cycle = make_cycle({"selection", "implementation"})
    heading = cycle.headings.get()
    project = make_project(heading, title="Тротуар у школы")
    actions.do_run_selection(heading, actor=personas.leader)
    roads = agency_of(personas.executor_a)
    page = phone_page
    login(page, live_server.url, "executor_roads")
    page.goto(f"{live_server.url}/projects/{project.pk}/monitoring/")
    options = page.locator("#agency option").all_inner_texts()
    assert options == ["—", roads.name]  # only the executor's own agency
    page.select_option("#agency", str(roads.pk))
    page.fill("#contract_amount", "90000")
    page.locator("#start").screenshot(path=str(screenshot(page, "projects-monitoring-start-phone")))
    page.click("#start button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator("#implementing-agency").inner_text() == roads.name
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "projects-monitoring-agency-phone")
    project.refresh_from_db()
    assert project.implementing_agency == roads
    page.goto(f"{live_server.url}/projects/monitoring/")
    assert page.locator(f'[data-project="{project.pk}"]').count() == 1


@pytest.mark.django_db
def test_monitoring_list_adds_up_equal_payments_and_counts_open_reports(make_cycle, make_project, personas):
    project = implementing_project(make_cycle, make_project, personas)
    for paid_on in (dt.date(2026, 6, 1), dt.date(2026, 7, 1)):  # two instalments of the same amount
        actions.do_record_expense(project, actor=personas.executor_a, amount=Decimal(30_000), paid_on=paid_on,
                                  description="Этап работ")
    spot = project.geometry.point_on_surface
    for text in ("Плитка шатается", "Нет пандуса"):
        actions.do_submit_control_report(project, author=personas.citizen, text=text, kind="quality", location=spot)
    listed = personas.client("executor_a").get("/projects/monitoring/").context["projects"]
    row = next(p for p in listed if p.pk == project.pk)
    assert row.spent_total == Decimal(60_000) and row.open_reports == 2


@pytest.mark.django_db
def test_officials_forms_refuse_a_number_too_large_for_its_column(make_cycle, make_project, personas):
    """A typo of many zeros is a field error (400), not the database's numeric overflow (500)."""
    (project,) = _selected(make_cycle, make_project, personas, "Дорожка")
    path = f"/projects/{project.pk}/monitoring/"
    client = personas.client("executor_a")
    start = {"form": "start", "agency": agency_of(personas.executor_a).pk}
    assert client.post(path, {**start, "contract_amount": HUGE}).status_code == 400
    assert client.post(path, {**start, "contract_amount": "90000"}).status_code == 302
    assert client.post(path, {"form": "milestone_add", "title": "Этап", "weight": HUGE}).status_code == 400
    assert not project.milestones.exists()


@pytest.mark.django_db
def test_review_form_estimate_lines_and_the_estimate_refuse_numbers_too_large(make_cycle, personas):
    from projects.forms import CostLineForm
    from projects.forms_official import ExpenseForm, ReviewForm
    from tests.projects.conftest import group, inside

    assert "reviewed_price" in ReviewForm({"feasible": "yes", "reviewed_price": HUGE}).errors
    assert "unit_price" in CostLineForm({"name": "Работы", "unit_price": HUGE}).errors
    expense = ExpenseForm({"amount": HUGE, "paid_on": "2026-06-01"}, project=Project(pk=0))  # no stage read
    assert "amount" in expense.errors
    # two estimate lines that each fit, whose sum does not: refused by the action, not by the database
    heading = make_cycle({"submission"}).headings.get()
    lines = [{"name": "Работы", "quantity": 1, "unit_price": Decimal("60000000000000")}] * 2
    with pytest.raises(ValidationError) as refused:
        actions.do_submit_project(author=personas.citizen, heading=heading, title="Сквер", description="Описание",
                                  geometry=inside(heading), category="yards", cost_items=lines, group=group())
    assert "cost_items" in refused.value.message_dict
