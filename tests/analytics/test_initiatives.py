"""Initiative analytics per cycle and heading against hand-computed figures.

The projects app has no implementation actions yet (milestones, expenses, control reports are
written by its services later), so this small history is arranged with the ORM."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from geoportal.models import District

pytestmark = pytest.mark.django_db


def test_initiative_figures(personas, django_assert_num_queries):
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
