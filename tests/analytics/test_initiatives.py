"""Initiative analytics per cycle and heading against hand-computed figures.

The projects app has no implementation actions yet (milestones, expenses, control reports are
written by its services later), so this small history is arranged with the ORM."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from geoportal.models import District

pytestmark = pytest.mark.django_db


@pytest.fixture
def initiative_cycle(personas):
    from projects import models as pm

    centre = District.objects.get(code="centralny")
    cycle = pm.BudgetCycle.objects.create(name="Инициативное бюджетирование 2026", total_money=Decimal(3_000_000))
    heading = pm.Heading.objects.create(cycle=cycle, name="Центральный", district=centre, money=Decimal(2_000_000))
    other = pm.Heading.objects.create(cycle=cycle, name="Город", money=Decimal(1_000_000))

    def project(title, status, cost, heading=heading, **kw):
        return pm.Project.objects.create(cycle=cycle, heading=heading, title=title, status=status,
                                         cost_estimate=Decimal(cost), **kw)

    done = project("Сквер", "completed", 900_000, cofinancing_residents=Decimal(50_000),
                   cofinancing_business=Decimal(20_000), supports_count=40)
    late = project("Площадка", "in_progress", 700_000, reviewed_price=Decimal(650_000),
                   cofinancing_residents=Decimal(10_000), supports_count=25)
    project("Фонтан", "not_selected", 1_500_000, supports_count=5)
    project("Черновик", "draft", 100)
    project("Библиотека", "selected", 300_000, heading=other, supports_count=12)
    today = timezone.localdate()
    pm.Milestone.objects.create(project=done, title="Работы", due_on=today - dt.timedelta(days=30),
                                completed_on=today - dt.timedelta(days=31), status="done")
    pm.Milestone.objects.create(project=late, title="Монтаж", due_on=today - dt.timedelta(days=3), status="in_progress")
    pm.Expense.objects.create(project=done, amount=Decimal("880000.50"), paid_on=today, description="Оплата")
    for status, extra in (("answered", {"answer": "Исправлено"}), ("escalated", {"appeal_id": 1}), ("new", {})):
        pm.ControlReport.objects.create(project=late, author=personas.citizen, text="Замечание", status=status,
                                        **extra)
    for i in range(66):
        pm.Ballot.objects.create(heading=heading, voter_key=f"v{i}")
    return cycle


def test_initiative_figures(initiative_cycle, personas, django_assert_num_queries):
    cycle = initiative_cycle
    client = personas.client("anonymous")
    with django_assert_num_queries(1):
        body = client.get("/api/v1/stats/initiatives", {"cycle": cycle.pk}).json()
    rows = {(r["level"], r["heading"]): r for r in body["results"]}
    centre_row = rows[("heading", "Центральный")]
    assert centre_row["proposals"] == 3 and centre_row["supporters"] == 70  # the draft is not counted
    assert centre_row["voters"] == 66 and centre_row["turnout"] == pytest.approx(66 / 132_000, abs=1e-4)
    assert centre_row["requested"] == "3100000.00" and centre_row["available"] == "2000000.00"
    assert centre_row["selected"] == 2 and centre_row["selected_money"] == "1550000.00"  # reviewed price counts
    assert (centre_row["cofin_residents"], centre_row["cofin_business"]) == ("60000.00", "20000.00")
    assert (centre_row["on_schedule"], centre_row["late"], centre_row["completed"]) == (1, 1, 1)
    assert centre_row["executed"] == "880000.50"
    assert (centre_row["reports"], centre_row["reports_answered"], centre_row["reports_escalated"],
            centre_row["reports_open"]) == (3, 1, 1, 1)
    total = next(r for r in body["results"] if r["level"] == "cycle")
    assert total["proposals"] == 4 and total["selected"] == 3 and total["available"] == "3000000.00"
    assert total["selected_money"] == "1850000.00" and total["voters"] == 66
    assert "Замечание" not in str(body) and "citizen" not in str(body)
    assert client.get("/api/v1/stats/initiatives", {"cycle": "x"}).status_code == 400


def test_initiative_page_shows_the_api_figures_per_cycle_and_heading(initiative_cycle, personas,
                                                                    django_assert_num_queries):
    from projects import models as pm

    older = pm.BudgetCycle.objects.create(name="Конкурс 2025")
    pm.Heading.objects.create(cycle=older, name="Город 2025", money=Decimal(500_000))
    client = personas.client("anonymous")
    with django_assert_num_queries(1):  # the statement of analytics.initiatives
        page = client.get("/stats/initiatives/", {"cycle": initiative_cycle.pk}).content.decode()
    api = {(r["level"], r["heading"]): r for r in client.get(
        "/api/v1/stats/initiatives", {"cycle": initiative_cycle.pk}).json()["results"]}
    centre = api[("heading", "Центральный")]
    card = page.split(f'data-heading="{centre["heading_id"]}"', 1)[1].split("</section>", 1)[0]

    def figure(html, name):
        return re.search(rf'data-figure="{name}">([^<]*)<', html).group(1).replace("\xa0", " ")

    assert figure(card, "proposals") == "3" and figure(card, "supporters") == "70" and figure(card, "voters") == "66"
    assert figure(card, "turnout") == "0,05 %"  # 66 / 132 000 residents
    assert (figure(card, "on_schedule"), figure(card, "late")) == ("1", "1")
    assert figure(card, "executed_share") == "56,8 %"  # 880 000,50 of 1 550 000
    money = dict(re.findall(r'data-money="(\d)">([^<]*)<', card))
    assert [money[k].replace("\xa0", " ") for k in "1234"] == ["3 100 000 ₽", "2 000 000 ₽", "1 550 000 ₽",
                                                                  "880 001 ₽"]
    total = page.split('id="cycle-total"', 1)[1].split("</section>", 1)[0]
    assert figure(total, "proposals") == "4" and figure(total, "selected") == "3"
    assert figure(total, "reports_escalated") == "1" and figure(total, "reports_open") == "1"
    assert 'id="cycle"' in page and "Конкурс 2025" in page  # the cycle chooser lists both cycles
    assert "Замечание" not in page and personas.citizen.username not in page
    # the default is the newest cycle
    assert "Город 2025" in client.get("/stats/initiatives/").content.decode()
    assert client.get("/stats/initiatives/", {"cycle": "x"}).status_code == 400
    assert client.get("/stats/initiatives/", {"cycle": "999999"}).status_code == 404
    assert 'href="/stats/initiatives/"' in client.get("/stats/").content.decode()
    client.cookies["django_language"] = "en"
    english = client.get("/stats/initiatives/", {"cycle": initiative_cycle.pk}).content.decode()
    assert "Initiative projects in figures" in english and "By heading and district" in english
    assert "Co-financing of the selected projects" in english and ">Slice builder<" in english


@pytest.mark.browser
def test_initiative_page_on_a_phone(transactional_db, live_server, initiative_cycle, phone_page, desk_page):
    from tests.browser import screenshot

    for page, name in ((phone_page, "stats-initiatives-phone"), (desk_page, "stats-initiatives-desk")):
        page.goto(f"{live_server.url}/stats/initiatives/?cycle={initiative_cycle.pk}")
        assert page.locator("#headings .heading-card").count() == 2
        # nothing wider than the screen: no sideways scrolling on a phone
        assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
        assert page.locator("#cycle-total [data-figure=proposals]").inner_text() == "4"
        screenshot(page, name)
