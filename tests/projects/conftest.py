"""Helpers for initiative-project tests: cycles whose phases are open or closed now, and
projects that went through the real actions."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone

OPEN = "open"
CLOSED = "closed"


def group(size: int = 10, born: dt.date = dt.date(1980, 5, 17)) -> list[dict[str, Any]]:
    return [{"full_name": f"Житель Номер {i}", "birth_date": born, "address": f"ул. Тестовая, {i}"}
            for i in range(size)]


@pytest.fixture
def make_cycle(region: dict[str, int]) -> Any:
    """make_cycle(open={"voting", ...}, **cycle fields) → a cycle with one heading per given
    district (default: Центральный, money 1 000 000) and every phase kind, open now or past."""
    from geoportal.models import District
    from projects.models import BudgetCycle, Heading, Phase, PhaseKind

    def build(open_phases: set[str] | frozenset[str] = frozenset(), money: Decimal = Decimal(1_000_000),
              districts: tuple[str, ...] = ("centralny",), **fields: Any) -> BudgetCycle:
        now = timezone.now()
        cycle = BudgetCycle.objects.create(name=fields.pop("name", "Тестовый конкурс"), **fields)
        for kind in PhaseKind.values:
            if kind in open_phases:
                start, end = now - dt.timedelta(days=1), now + dt.timedelta(days=1)
            else:
                start, end = now - dt.timedelta(days=30), now - dt.timedelta(days=20)
            Phase.objects.create(cycle=cycle, kind=kind, starts_at=start, ends_at=end)
        for code in districts:
            district = District.objects.get(code=code)
            Heading.objects.create(cycle=cycle, name=district.name, district=district, money=money)
        return cycle

    return build


def inside(heading: Any) -> Point:
    point = heading.district.boundary.point_on_surface
    return Point(point.x, point.y, srid=4326)


def open_all(cycle: Any, *kinds: str) -> None:
    now = timezone.now()
    cycle.phases.filter(kind__in=kinds).update(starts_at=now - dt.timedelta(days=1), ends_at=now + dt.timedelta(days=1))


def close_all(cycle: Any, *kinds: str) -> None:
    now = timezone.now()
    cycle.phases.filter(kind__in=kinds).update(starts_at=now - dt.timedelta(days=30),
                                               ends_at=now - dt.timedelta(days=20))


@pytest.fixture
def make_project(personas: Any) -> Any:
    """make_project(heading, cost=..., feasible=True, **submit kwargs): submitted by the
    citizen through the real actions (phases opened for the moment, then restored)."""
    from projects import actions
    from projects.models import Phase

    def build(heading: Any, cost: Decimal = Decimal(100_000), feasible: bool | None = True, title: str = "Сквер",
              **kwargs: Any) -> Any:
        cycle = heading.cycle
        saved = {p.pk: (p.starts_at, p.ends_at) for p in cycle.phases.all()}
        open_all(cycle, "submission", "review")
        project = actions.do_submit_project(
            author=personas.citizen, heading=heading, title=title, description="Описание проекта",
            geometry=kwargs.pop("geometry", inside(heading)), category=kwargs.pop("category", "yards"),
            cost_items=[{"name": "Работы", "quantity": 1, "unit_price": cost}], group=group(), **kwargs)
        if feasible is not None:
            actions.do_review_project(project, actor=personas.operator, feasible=feasible,
                                      explanation="" if feasible else "Нет земельного участка")
        for pk, (start, end) in saved.items():
            Phase.objects.filter(pk=pk).update(starts_at=start, ends_at=end)
        project.refresh_from_db()
        return project

    return build
