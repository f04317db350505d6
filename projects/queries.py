"""Reads over initiative projects that several screens and actions share: vote tallies, the
selection a rule would make (nothing written), the commission's score breakdown and money spent.
Nothing here writes; the writes are in ``projects.actions``."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, F, Max, Sum, Value
from django.db.models.functions import Greatest
from django.utils.translation import gettext as _

from .models import Ballot as BallotModel
from .models import BallotChoice as ChoiceModel
from .models import BallotRule, CommissionScore, Criterion, CriterionKind, Heading, Project, SelectionRule
from .selection import Candidate, Decision, equal_shares, greedy


def tally(heading: Heading) -> dict[int, Decimal]:
    """Votes per project from the stored ballots: approvals, points (cumulative) or Borda
    points for ranked ballots (k for the first of k places, then k-1, ...)."""
    rule = heading.cycle.ballot_rule
    # summed in the database: an imported election has a million choices and more
    choices = ChoiceModel.objects.filter(ballot__heading=heading).values("project_id")
    if rule == BallotRule.CUMULATIVE:
        score: Any = Sum("points")
    elif rule == BallotRule.RANKED:
        places = heading.cycle.max_ranks or (choices.aggregate(longest=Max("position"))["longest"] or 0) + 1
        score = Sum(Greatest(Value(places) - F("position"), Value(0)))
    else:
        score = Count("id")
    return {project_id: Decimal(total) for project_id, total in
            choices.annotate(total=score).values_list("project_id", "total")}



def compute_selection(heading: Heading, rule: str | None = None) -> tuple[list[Decision], dict[int, Decimal],
                                                                          dict[str, Project]]:
    """The rule's decisions over the stored ballots (nothing written)."""
    cycle = heading.cycle
    rule = rule or cycle.selection_rule
    projects = {p.key: p for p in heading.projects.on_ballot()}
    tallies = tally(heading)
    if rule == SelectionRule.EQUAL_SHARES:
        if cycle.ballot_rule not in (BallotRule.APPROVAL, BallotRule.KNAPSACK, BallotRule.CHOOSE_ONE):
            raise ValidationError({"rule": [_("Метод равных долей считается по бюллетеням-одобрениям")]})
        key_of = {p.pk: key for key, p in projects.items()}
        # one row per ballot (grouped in the database): 90,000 ballots come back in a fraction of
        # a second, where a row per choice took seconds
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT array_agg(c.project_id) FROM {ChoiceModel._meta.db_table} c "
                f"JOIN {BallotModel._meta.db_table} b ON b.id = c.ballot_id "
                "WHERE b.heading_id = %s AND c.project_id = ANY(%s) GROUP BY c.ballot_id",
                (heading.pk, list(key_of)))
            ballots = [[key_of[p] for p in row[0]] for row in cursor.fetchall()]
        voters = ballots + [[] for _empty in range(heading.ballots.count() - len(ballots))]
        increment = Decimal(str(cycle.meta.get("mes_increment", 1)))
        decisions = equal_shares({k: p.cost for k, p in projects.items()}, voters, heading.money, increment=increment)
    else:
        # equal tallies: the project listed first. Projects are stored in the order they come
        # (an imported election's in the order of its PROJECTS section, which lists the
        # organisers' published ranking, ties as they decided them), so that is the smaller id.
        candidates = [Candidate(k, p.cost, tallies.get(p.pk, Decimal(0)), p.exclusion_group, order=p.pk)
                      for k, p in projects.items()]
        # a minimum score makes a project eligible whatever the greedy variant (Pabulib's
        # min_project_score_threshold: "even if a project fits within the available budget, it
        # will not be selected unless it meets this threshold"); files declare it with `greedy`,
        # `greedy-no-skip` or `greedy-threshold` alike
        threshold = cycle.min_threshold
        decisions = greedy(candidates, heading.money, skip=rule != SelectionRule.GREEDY_NO_SKIP, threshold=threshold,
                           exclusive=rule == SelectionRule.GREEDY_EXCLUSIVE)
    return decisions, tallies, projects



def _share(part: Decimal, whole: Decimal) -> Decimal:
    return (part / whole * 100) if whole else Decimal(0)


def criterion_value(criterion: Criterion, project: Project) -> Decimal | None:
    """The measured value an automatic criterion's tiers are applied to."""
    cost = project.cost
    kind = criterion.kind
    if kind == CriterionKind.RESIDENTS_SHARE:
        return _share(project.cofinancing_residents, cost)
    if kind == CriterionKind.BUSINESS_SHARE:
        return _share(project.cofinancing_business, cost)
    if kind == CriterionKind.LOCAL_BUDGET_SHARE:
        return _share(project.cofinancing_local_budget, cost)
    if kind == CriterionKind.INKIND_SHARE:
        return _share(project.inkind_labour, cost)
    if kind == CriterionKind.BENEFICIARIES:
        return Decimal(project.beneficiaries)
    if kind == CriterionKind.BENEFICIARIES_SHARE:
        population = project.district.population if project.district else 0
        return _share(Decimal(project.beneficiaries), Decimal(population))
    if kind == CriterionKind.SUPPORTS:
        return Decimal(project.supports_count)
    if kind == CriterionKind.NEED_SCORE:
        return Decimal(project.need_score) if project.need_score is not None else None
    return None


def score_breakdown(project: Project, *, criteria: Sequence[Criterion] | None = None,
                    manual_points: Mapping[int, Sequence[Decimal]] | None = None) -> list[dict[str, Any]]:
    """Per criterion: value, points (tier points, or the members' mean for manual criteria),
    weight and weighted points.

    A page that shows many projects passes the rubric's ``criteria`` (tiers prefetched) and
    ``manual_points`` (criterion id → the members' points for this project) loaded once."""
    rubric = project.cycle.rubric
    if rubric is None:
        return []
    if criteria is None:
        criteria = list(rubric.criteria.prefetch_related("tiers"))
    rows = []
    for criterion in criteria:
        if criterion.kind == CriterionKind.MANUAL:
            if manual_points is None:
                sheets = list(CommissionScore.objects.filter(project=project, criterion=criterion)
                              .values_list("points", flat=True))
            else:
                sheets = list(manual_points.get(criterion.pk, ()))
            value = None
            points = (sum(sheets, Decimal(0)) / len(sheets)) if sheets else Decimal(0)
        else:
            value = criterion_value(criterion, project)
            tier = next((t for t in criterion.tiers.all() if value is not None and t.matches(value)), None)
            points = tier.points if tier else Decimal(0)
        points = min(points, criterion.max_points)
        rows.append({"criterion": criterion.code, "name": criterion.name, "value": value, "points": points,
                     "weight": criterion.weight, "weighted": (points * criterion.weight).quantize(Decimal("0.01"))})
    return rows



def spent(project: Project) -> Decimal:
    return project.expenses.aggregate(total=Sum("amount"))["total"] or Decimal(0)

