"""Builders for the officials' side: a project under implementation, made through the real
actions (selection in its phase, then the contract)."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from projects import actions


def implementing_project(make_cycle: Any, make_project: Any, personas: Any, *, category: str = "roads",
                         title: str = "Тротуар к поликлинике", **cycle_fields: Any) -> Any:
    cycle = make_cycle({"selection", "implementation"}, **cycle_fields)
    heading = cycle.headings.get()
    project = make_project(heading, category=category, title=title)
    actions.do_run_selection(heading, actor=personas.leader)  # no ballots: what fits is funded
    return actions.do_start_implementation(project, actor=personas.executor_a, contractor="ООО «Дорстрой»",
                                           agency=agency_of(personas.executor_a),
                                           contract_number="0132-2026", contract_amount=Decimal(90_000))


def agency_of(user: Any) -> Any:
    """The (first) agency where ``user`` holds a staff membership."""
    from geoportal.models import Agency

    return Agency.objects.filter(memberships__user=user).order_by("id").get()
