"""Officials' pages: review, commission scoring, monitoring. Who may open each (others 403,
anonymous visitors to the sign-in page), what each form writes through the actions, the 400s
with field errors and 409s for a closed phase, and screenshots on a phone."""
from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from issues.models import Appeal, Category
from projects import actions
from projects.models import (
    CommissionScore,
    Criterion,
    CriterionKind,
    CriterionTier,
    ProjectStatus,
    Rubric,
)
from tests.browser import assert_stacks_on_a_phone, login, screenshot, sideways_scroll
from tests.issues.helpers import jpeg_bytes, make_appeal
from tests.projects.conftest import open_all
from tests.projects.official_helpers import implementing_project

ROLES = ("citizen", "other_citizen", "operator", "executor_a", "agency_head", "moderator", "leader")
ALLOWED = {
    "review": {"operator", "agency_head"},
    "commission": {"leader", "agency_head"},
    "monitoring": {"operator", "executor_a", "agency_head"},
    "office": {"operator", "executor_a", "agency_head", "leader"},
}


def near(point, north_m: float = 0.0, east_m: float = 0.0):
    from django.contrib.gis.geos import Point

    return Point(point.x + east_m / (111_320.0 * math.cos(math.radians(point.y))), point.y + north_m / 111_320.0,
                 srid=4326)


def rubric() -> Rubric:
    rubric = Rubric.objects.create(name="Методика района")
    share = Criterion.objects.create(rubric=rubric, code="residents", name="Софинансирование жителей",
                                     kind=CriterionKind.RESIDENTS_SHARE, max_points=Decimal(15), order=0)
    CriterionTier.objects.create(criterion=share, lower=Decimal(5), upper=Decimal(10), points=Decimal(5))
    CriterionTier.objects.create(criterion=share, lower=Decimal(10), include_lower=False, points=Decimal(15))
    need = Criterion.objects.create(rubric=rubric, code="need", name="Обращения жителей рядом",
                                    kind=CriterionKind.NEED_SCORE, max_points=Decimal(10), order=1)
    CriterionTier.objects.create(criterion=need, lower=Decimal(1), points=Decimal(10))
    Criterion.objects.create(rubric=rubric, code="significance", name="Социальная значимость",
                             kind=CriterionKind.MANUAL, max_points=Decimal(10), order=2)
    return rubric


@pytest.fixture
def pages(make_cycle, make_project, personas):
    """A submitted project (review), two feasible ones in scoring, one under implementation."""
    review_cycle = make_cycle({"review"}, name="Конкурс: проверка")
    waiting = make_project(review_cycle.headings.get(), feasible=None, title="Освещение тропы", category="lighting",
                           cost=Decimal(250_000))
    scoring = make_cycle({"scoring"}, name="Конкурс: оценка", rubric=rubric())
    heading = scoring.headings.get()
    playground = make_project(heading, title="Детская площадка", category="yards",
                              cofinancing_residents=Decimal(12_000))
    make_appeal(personas.citizen, "yard-playground", location=near(playground.geometry, north_m=100))
    actions.do_refresh_need_score(playground)
    square = make_project(heading, title="Сквер у школы", category="greenery", cofinancing_residents=Decimal(6_000))
    building = implementing_project(make_cycle, make_project, personas)
    return {"waiting": waiting, "scoring": scoring, "playground": playground, "square": square,
            "building": building}


def urls(pages) -> dict[str, list[str]]:
    return {
        "review": ["/projects/review/", f"/projects/{pages['waiting'].pk}/review/"],
        "commission": [f"/projects/cycles/{pages['scoring'].pk}/commission/"],
        "monitoring": ["/projects/monitoring/", f"/projects/{pages['building'].pk}/monitoring/"],
        "office": ["/projects/office/"],
    }


@pytest.mark.django_db
def test_who_may_open_each_officials_page(pages, personas):
    for area, paths in urls(pages).items():
        for path in paths:
            response = personas.client("anonymous").get(path)
            assert response.status_code == 302 and "/accounts/login/" in response["Location"], path
            for role in ROLES:
                expected = 200 if role in ALLOWED[area] else 403
                assert personas.client(role).get(path).status_code == expected, (path, role)
            assert personas.client("admin").get(path).status_code == 200
    # the writes are guarded the same way
    assert personas.client("citizen").post(f"/projects/{pages['waiting'].pk}/review/",
                                           {"feasible": "yes"}).status_code == 403
    assert personas.client("operator").post(f"/projects/{pages['playground'].pk}/score/",
                                            {"c_significance": "5"}).status_code == 403
    assert personas.client("leader").post(f"/projects/{pages['building'].pk}/monitoring/",
                                          {"form": "expense", "amount": "1", "paid_on": "2026-01-01",
                                           "description": "x"}).status_code == 403
    assert not pages["building"].expenses.exists()
    # the start page offers each official only what their role may do
    office = personas.client("executor_a").get("/projects/office/").content.decode()
    assert 'id="office-monitoring"' in office and 'id="office-review"' not in office
    assert 'id="office-commission"' not in office
    office = personas.client("leader").get("/projects/office/").content.decode()
    assert 'id="office-commission"' in office and "Конкурс: оценка" in office and 'id="office-review"' not in office


@pytest.mark.django_db
def test_review_requires_an_explanation_to_refuse_and_records_the_price(pages, personas):
    project, client = pages["waiting"], personas.client("operator")
    page = client.get(f"/projects/{project.pk}/review/").content.decode()
    assert "Освещение тропы" in page and "250" in page
    refused = client.post(f"/projects/{project.pk}/review/", {"feasible": "no", "explanation": "  "})
    assert refused.status_code == 400 and "Объясните, почему проект нельзя реализовать" in refused.content.decode()
    bad_price = client.post(f"/projects/{project.pk}/review/", {"feasible": "yes", "reviewed_price": "дорого"})
    assert bad_price.status_code == 400 and "Введите число" in bad_price.content.decode()
    for not_a_number in ("NaN", "Infinity", "-inf"):  # the one number parser (projects.forms.NumberField)
        refused = client.post(f"/projects/{project.pk}/review/", {"feasible": "yes", "reviewed_price": not_a_number})
        assert refused.status_code == 400 and "Введите число" in refused.content.decode()
    project.refresh_from_db()
    assert project.status == ProjectStatus.SUBMITTED
    done = client.post(f"/projects/{project.pk}/review/", {"feasible": "yes", "reviewed_price": "231 500,50"})
    assert done.status_code == 302
    project.refresh_from_db()
    assert project.status == ProjectStatus.FEASIBLE and project.reviewed_price == Decimal("231500.50")
    assert project.events.filter(kind="review", actor=personas.operator).exists()


@pytest.mark.django_db
def test_review_outside_its_phase_is_a_conflict(pages, personas):
    project = pages["waiting"]
    project.cycle.phases.filter(kind="review").update(ends_at=timezone.now() - dt.timedelta(days=1),
                                                      starts_at=timezone.now() - dt.timedelta(days=5))
    response = personas.client("agency_head").post(f"/projects/{project.pk}/review/",
                                                   {"feasible": "no", "explanation": "Нет участка"})
    assert response.status_code == 409 and "сейчас не идёт" in response.content.decode()
    project.refresh_from_db()
    assert project.status == ProjectStatus.SUBMITTED


@pytest.mark.django_db
def test_commission_page_scores_ranks_and_shows_the_need_score(pages, personas):
    playground, square, cycle = pages["playground"], pages["square"], pages["scoring"]
    assert playground.need_score == 1 and square.need_score == 0
    leader, head = personas.client("leader"), personas.client("agency_head")
    assert leader.post(f"/projects/{square.pk}/score/", {"c_significance": "9"}).status_code == 302
    assert head.post(f"/projects/{square.pk}/score/", {"c_significance": "7"}).status_code == 302
    assert leader.post(f"/projects/{playground.pk}/score/", {"c_significance": "4"}).status_code == 302
    over = leader.post(f"/projects/{playground.pk}/score/", {"c_significance": "11"})
    assert over.status_code == 400 and "От 0 до 10 баллов" in over.content.decode()
    missing = leader.post(f"/projects/{playground.pk}/score/", {})
    assert missing.status_code == 400
    assert CommissionScore.objects.filter(project=playground).get().points == Decimal(4)
    # square: residents 6 % → 5, need 0 → 0, mean(9, 7) = 8 → 13; playground: 12 % → 15, need 1 → 10, 4 → 29
    playground.refresh_from_db()
    square.refresh_from_db()
    assert (playground.commission_score, square.commission_score) == (Decimal(29), Decimal(13))
    html = leader.get(f"/projects/cycles/{cycle.pk}/commission/").content.decode()
    ranking = html[html.index('id="ranking"'):]
    assert ranking.index("Детская площадка") < ranking.index("Сквер у школы")
    assert "29,00" in html and "13,00" in html  # Russian number format
    assert "≥ 5 и ≤ 10 → <b>5</b>" in html and "&gt; 10 → <b>15</b>" in html  # the tier table
    assert_stacks_on_a_phone(html, "rubric-criteria")
    assert 'class="need-score">1<' in html and 'class="need-score">0<' in html
    sheet = html[html.index(f'id="project-{square.pk}"'):]
    assert "head_roads" in sheet or personas.agency_head.get_full_name() in sheet
    # outside the scoring phase nobody scores
    cycle.phases.filter(kind="scoring").update(ends_at=timezone.now() - dt.timedelta(hours=1),
                                               starts_at=timezone.now() - dt.timedelta(days=3))
    late = head.post(f"/projects/{playground.pk}/score/", {"c_significance": "10"})
    assert late.status_code == 409


@pytest.mark.django_db
def test_commission_recounts_the_need_and_its_queries_do_not_grow(pages, personas, make_project,
                                                                  django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    playground, cycle = pages["playground"], pages["scoring"]
    leader = personas.client("leader")
    assert leader.post(f"/projects/{playground.pk}/score/", {"c_significance": "4"}).status_code == 302
    playground.refresh_from_db()
    assert (playground.need_score, playground.commission_score) == (1, Decimal(29))
    make_appeal(personas.other_citizen, "yard-playground", location=near(playground.geometry, east_m=200))
    # only the commission recounts
    assert personas.client("operator").post(f"/projects/cycles/{cycle.pk}/need/").status_code == 403
    assert leader.post(f"/projects/cycles/{cycle.pk}/need/").status_code == 302
    playground.refresh_from_db()
    assert (playground.need_score, playground.commission_score) == (2, Decimal(29))  # tier "≥ 1" still 10
    path = f"/projects/cycles/{cycle.pk}/commission/"
    with CaptureQueriesContext(connection) as two:
        leader.get(path)
    for index in range(4):
        make_project(cycle.headings.get(), title=f"Ещё проект {index}")
    with django_assert_num_queries(len(two.captured_queries)):
        html = leader.get(path).content.decode()
    assert html.count('class="need-score"') == 6


@pytest.mark.django_db
def test_monitoring_forms_write_through_the_actions(pages, personas):
    project = pages["building"]
    client = personas.client("executor_a")
    path = f"/projects/{project.pk}/monitoring/"
    assert client.post(path, {"form": "milestone_add", "title": "Подготовка основания", "weight": "1"}).status_code \
        == 302
    assert client.post(path, {"form": "milestone_add", "title": "Укладка плитки", "weight": "3"}).status_code == 302
    base, tiles = project.milestones.order_by("id")
    assert client.post(path, {"form": "milestone_update", "milestone": base.pk, "status": "done"}).status_code == 302
    assert client.post(path, {"form": "milestone_update", "milestone": tiles.pk, "status": "in_progress",
                              "progress": "40"}).status_code == 302
    project.refresh_from_db()
    assert project.progress_percent == Decimal("55.00")  # (1×100 + 3×40) / 4
    bad = client.post(path, {"form": "milestone_update", "milestone": tiles.pk, "status": "in_progress",
                             "progress": "140"})
    assert bad.status_code == 400 and "От 0 до 100" in bad.content.decode()
    assert client.post(path, {"form": "expense", "amount": "60000", "paid_on": "2026-06-01",
                              "description": "Аванс подрядчику"}).status_code == 302
    over = client.post(path, {"form": "expense", "amount": "40000", "paid_on": "2026-07-01",
                              "description": "Окончательный расчёт"})
    assert over.status_code == 400 and "Расходы превысят сумму контракта" in over.content.decode()
    assert client.post(path, {"form": "expense", "amount": "", "paid_on": "вчера"}).status_code == 400
    assert [e.amount for e in project.expenses.all()] == [Decimal(60_000)]

    spot = near(project.geometry, north_m=30)
    tagged = SimpleUploadedFile("works.jpg", jpeg_bytes(gps=(spot.y, spot.x)), "image/jpeg")
    assert client.post(path, {"form": "photo", "photo": tagged, "caption": "Основание готово",
                              "milestone": base.pk}).status_code == 302
    photo = project.photos.get()
    assert photo.location.distance(spot) < 1e-4 and photo.milestone == base and photo.taken_at
    assert b"TestCam" not in photo.image.read()
    untagged = SimpleUploadedFile("plain.jpg", jpeg_bytes(), "image/jpeg")
    refused = client.post(path, {"form": "photo", "photo": untagged})
    assert refused.status_code == 400 and "геометки" in refused.content.decode()
    pinned = SimpleUploadedFile("plain.jpg", jpeg_bytes(), "image/jpeg")
    assert client.post(path, {"form": "photo", "photo": pinned, "lat": str(spot.y), "lon": str(spot.x)}) \
        .status_code == 302
    not_image = SimpleUploadedFile("doc.jpg", b"%PDF-1.4 not an image", "image/jpeg")
    assert client.post(path, {"form": "photo", "photo": not_image, "lat": "56.3", "lon": "44.0"}).status_code == 400
    assert project.photos.count() == 2
    page = client.get(path).content.decode()
    assert "photo-points" in page and "Основание готово" in page and "55 %" in page


@pytest.mark.django_db
def test_control_reports_are_answered_or_filed_from_the_monitoring_page(pages, personas):
    project = pages["building"]
    path = f"/projects/{project.pk}/monitoring/"
    delay = actions.do_submit_control_report(project, author=personas.other_citizen, kind="delay",
                                             text="Работы стоят вторую неделю")
    broken = actions.do_submit_control_report(project, author=personas.other_citizen, kind="quality",
                                              text="Знак «Пешеходная дорожка» установлен криво и закрывает проход")
    client = personas.client("operator")
    assert client.post(path, {"form": "answer", "report": delay.pk, "answer": " "}).status_code == 400
    assert client.post(path, {"form": "answer", "report": delay.pk,
                              "answer": "Подрядчик возобновит работы 3 июня"}).status_code == 302
    assert client.post(path, {"form": "file", "report": broken.pk, "category": ""}).status_code == 400
    parent = Category.objects.get(code="roads")
    assert client.post(path, {"form": "file", "report": broken.pk, "category": parent.pk}).status_code == 400
    signs = Category.objects.get(code="roads-signs")
    assert client.post(path, {"form": "file", "report": broken.pk, "category": signs.pk,
                              "note": "Передали в Комдорхоз"}).status_code == 302
    delay.refresh_from_db()
    broken.refresh_from_db()
    assert delay.status == "answered" and delay.answer.startswith("Подрядчик")
    appeal = Appeal.objects.get(pk=broken.appeal_id)
    assert broken.status == "escalated" and appeal.responsible_agency.short_name == "Комдорхоз"
    page = client.get(path).content.decode()
    assert appeal.number in page and "Подрядчик возобновит работы 3 июня" in page
    # a report that is not this project's cannot be reached through this page
    assert client.post(path, {"form": "answer", "report": 999_999, "answer": "x"}).status_code == 400


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_officials_pages_on_a_phone(live_server, pages, personas, phone_page):
    project = pages["building"]
    actions.do_add_milestone(project, actor=personas.executor_a, title="Подготовка основания")
    tiles = actions.do_add_milestone(project, actor=personas.executor_a, title="Укладка плитки", weight=Decimal(3))
    actions.do_update_milestone(tiles, actor=personas.executor_a, status="delayed", progress=Decimal(30))
    actions.do_record_expense(project, actor=personas.executor_a, amount=Decimal(30_000), paid_on=dt.date(2026, 6, 1),
                              description="Аванс подрядчику", document="п/п 118")
    actions.do_submit_control_report(project, author=personas.other_citizen, kind="delay",
                                     text="Работы стоят вторую неделю, плитка сложена на газоне")
    for north, caption in ((0, "Основание"), (60, "Бордюр")):
        spot = near(project.geometry, north_m=north)
        actions.do_add_project_photo(project, actor=personas.executor_a, caption=caption,
                                     upload=SimpleUploadedFile("p.jpg", jpeg_bytes((320, 240), gps=(spot.y, spot.x),
                                                                                color="olive"), "image/jpeg"))
    page = phone_page
    login(page, live_server.url, "operator")
    page.goto(f"{live_server.url}/projects/{pages['waiting'].pk}/review/")
    page.check("input[name=feasible][value=no]")
    page.click("#review-form button[type=submit]")
    assert page.locator("#form-errors").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "projects-official-review-phone")
    page.goto(f"{live_server.url}/projects/{project.pk}/monitoring/")
    assert page.locator("#photo-map .leaflet-marker-icon").count() == 2  # the photos where they were taken
    page.click("text=Передать как обращение в ответственное ведомство")
    assert page.locator("#reports select[name=category]").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "projects-official-monitoring-phone")
    page.context.clear_cookies()
    login(page, live_server.url, "leader")
    open_all(pages["scoring"], "scoring")
    page.goto(f"{live_server.url}/projects/cycles/{pages['scoring'].pk}/commission/")
    page.fill(f"#c_{pages['square'].pk}_significance", "8")
    page.click(f"#project-{pages['square'].pk} button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator(f"#project-{pages['square'].pk} .total").inner_text() == "13,00"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.evaluate("() => { document.getElementById('rubric').open = true; }")
    assert sideways_scroll(page, "rubric-criteria") == 0  # a card per criterion, not a table to swipe
    screenshot(page, "projects-official-commission-phone")
    page.goto(f"{live_server.url}/projects/office/")
    assert page.locator("#office-commission").is_visible()
    screenshot(page, "projects-official-office-phone")


@pytest.mark.django_db
def test_officials_pages_in_english(pages, personas):
    client = personas.client("agency_head")
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get(f"/projects/cycles/{pages['scoring'].pk}/commission/").content.decode()
    assert "Competition commission" in html and "Total points" in html and "Recount appeals nearby" in html
    assert "Residents’ appeals nearby in 12 months" in html and "Конкурсная комиссия" not in html
    html = client.get(f"/projects/{pages['building'].pk}/monitoring/").content.decode()
    assert "Residents’ control reports" in html and "in progress" in html and "Record an expense" in html
    html = client.get(f"/projects/{pages['waiting'].pk}/review/").content.decode()
    assert "Is the project feasible?" in html and "submitted, under review" in html
