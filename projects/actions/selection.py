"""The commission runs the cycle's selection rule over a heading and stores every decision."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction

from ..models import TRANSITIONS, Heading, PhaseKind, SelectionDecision, SelectionRun
from ..queries import compute_selection
from .base import require_phase, require_role, transition


@transaction.atomic
def do_run_selection(heading: Heading, *, actor: Any = None, rule: str | None = None, now: dt.datetime | None = None,
                     check: bool = True) -> SelectionRun:
    """Run the cycle's selection rule over a heading and store every decision with its reason.
    ``check=False`` is for imports and the command line (no person, no phase)."""
    if check:
        require_role(actor, "run_selection")
        require_phase(heading.cycle, PhaseKind.SELECTION, now=now)
    heading = Heading.objects.select_for_update().select_related("cycle").get(pk=heading.pk)
    rule = rule or heading.cycle.selection_rule
    decisions, tallies, projects = compute_selection(heading, rule)
    spent = sum((projects[d.project_id].cost for d in decisions if d.selected), Decimal(0))
    run = SelectionRun.objects.create(heading=heading, rule=rule, money=heading.money, spent=spent,
                                      actor=actor if getattr(actor, "pk", None) else None)
    rows = []
    for position, decision in enumerate(decisions):
        project = projects[decision.project_id]
        rows.append(SelectionDecision(run=run, project=project, position=position, selected=decision.selected,
                                      tally=tallies.get(project.pk, Decimal(0)), reason=decision.reason[:300]))
        project.tally = tallies.get(project.pk, Decimal(0))
        project.selection_reason = decision.reason[:300]
        project.save(update_fields=["tally", "selection_reason"])
        name = "select" if decision.selected else "not_select"
        if project.status != TRANSITIONS[name].target:
            transition(project, name, actor=actor, kind="selection", note=decision.reason,
                       data={"run": run.pk, "rule": rule})
    SelectionDecision.objects.bulk_create(rows)
    return run
