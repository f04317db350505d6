"""The ballot and the results of initiative budgeting. Who may open each:

- ``/projects/headings/<id>/ballot/`` ballot page — signed-in citizens while the voting phase
  is open (anonymous → login; other roles or closed voting 403); the ballot itself goes to
  ``POST /api/v1/headings/<id>/ballot/`` (400 breaks the rule, 409 second ballot);
- ``/projects/headings/<id>/results/`` results with every project's reason — anyone."""
from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .access import can
from .models import Ballot as BallotModel
from .models import BallotRule, Heading, PhaseKind, SelectionRun
from .pages import category_label, closed


@login_required
def ballot_page(request: HttpRequest, heading_id: int) -> HttpResponse:
    """Signed-in citizens while the heading's voting is open: the ballot by the cycle's rule."""
    heading = get_object_or_404(Heading.objects.select_related("cycle", "district"), pk=heading_id)
    if not can(request.user, "vote"):
        raise PermissionDenied(gettext("Голосуют жители (учётная запись гражданина)"))
    cycle = heading.cycle
    if cycle.open_phase(PhaseKind.VOTING) is None:
        return closed(request, _("Голосование не идёт"),
                       _("Бюллетень можно заполнить только на этапе голосования."),
                       list(cycle.phases.filter(kind=PhaseKind.VOTING)))
    user: Any = request.user
    ballot = BallotModel.objects.filter(heading=heading, voter=user).prefetch_related("choices__project").first()
    projects = list(heading.projects.on_ballot().select_related("district"))
    # every voter sees the projects in an order of their own, so the first card is nobody's favourite
    random.Random(f"{user.pk}:{heading.pk}").shuffle(projects)  # noqa: S311 (not security: ballot order)
    rule = cycle.ballot_rule
    return render(request, "projects/ballot.html", {
        "heading": heading, "cycle": cycle, "rule": rule, "rule_label": BallotRule(rule).label,
        "projects": [{"p": p, "category": category_label(p.category), "cost": p.cost} for p in projects],
        "ballot": ballot, "config": {
            "rule": rule, "money": str(heading.money), "maxApprovals": cycle.max_approvals,
            "minApprovals": cycle.min_approvals, "pointsTotal": cycle.points_total,
            "maxRanks": cycle.max_ranks or len(projects), "url": f"/api/v1/headings/{heading.pk}/ballot/",
            "resultsUrl": reverse("project-results", args=[heading.pk]),
        },
        "ranks": range(1, (cycle.max_ranks or len(projects)) + 1),
        "strings": {
            "chosen": gettext("Выбрано"), "of": gettext("из"), "left": gettext("осталось"),
            "over": gettext("больше средств района на"),
            "pointsLeft": gettext("Осталось баллов"), "pointsOver": gettext("Лишних баллов"),
            "limit": gettext("Больше выбрать нельзя: снимите отметку с другого проекта"),
            "empty": gettext("Выберите хотя бы один проект"),
            "fixBudget": gettext("Уберите проекты: стоимость больше средств района"),
            "fixPoints": gettext("Распределено больше баллов, чем есть"), "sending": gettext("Отправляем…"),
            "accepted": gettext("Бюллетень принят. Спасибо за участие!"), "results": gettext("Итоги по району"),
            "rejected": gettext("Бюллетень не принят"),
            "again": gettext("Вы уже голосовали по этому району: второй бюллетень не принимается."),
            "network": gettext("Нет связи с сервером. Бюллетень не отправлен — попробуйте ещё раз."),
            "rank": gettext("Места должны быть разными"), "money": heading.cycle.currency,
        },
    })


# --- results -----------------------------------------------------------------------------------

def results_page(request: HttpRequest, heading_id: int) -> HttpResponse:
    """Anyone: the heading's latest selection with the reason for every project."""
    heading = get_object_or_404(Heading.objects.select_related("cycle", "district"), pk=heading_id)
    run = SelectionRun.objects.filter(heading=heading).first()
    decisions = list(run.decisions.select_related("project").order_by("position")) if run else []
    if run is None and not heading.projects.public().exists():
        raise Http404("no such heading")
    return render(request, "projects/results.html", {
        "heading": heading, "cycle": heading.cycle, "run": run,
        "winners": [d for d in decisions if d.selected], "losers": [d for d in decisions if not d.selected],
        "left": (run.money - run.spent) if run else None,
        "spent_percent": (run.spent / run.money * 100) if run and run.money else Decimal(0),
        "selection_phase": list(heading.cycle.phases.filter(kind=PhaseKind.SELECTION)),
    })
