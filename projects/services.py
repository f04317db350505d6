"""Import of Pabulib elections into the platform and the platform's own selection over the
stored ballots."""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.contrib.gis.geos import Point
from django.db import transaction
from django.db.models import Sum

from . import pabulib
from .models import Ballot, BallotChoice, BudgetCycle, Heading, Project, ProjectStatus
from .selection import Candidate, Decision, equal_shares, greedy


@transaction.atomic
def import_election(election: pabulib.Election, name: str) -> tuple[BudgetCycle, list[str]]:
    """Store the election; return the cycle and the disagreements between the tallies we
    recompute from VOTES and the file's own votes/score columns."""
    meta = election.meta
    threshold = meta.get("min_project_score_threshold")
    cycle = BudgetCycle.objects.create(
        name=name, territory=meta.get("district") or meta.get("unit", ""), currency=meta.get("currency", "RUB")[:3],
        ballot_rule=election.vote_type, selection_rule=election.rule,
        max_choices=int(meta["max_length"]) if meta.get("max_length", "").isdigit() else None,
        min_project_score_threshold=Decimal(threshold) if threshold else None, meta=meta)
    heading = Heading.objects.create(cycle=cycle, name=meta.get("subunit") or meta.get("district") or name,
                                     money=election.budget)
    projects = {}
    for project_id, row in election.projects.items():
        point = None
        if row.get("latitude") and row.get("longitude"):
            point = Point(float(row["longitude"]), float(row["latitude"]), srid=4326)
        projects[project_id] = Project(cycle=cycle, heading=heading, external_id=project_id,
                                       title=row.get("name", "")[:500] or project_id,
                                       description=row.get("description", ""), cost=Decimal(row["cost"]),
                                       geometry=point)
    Project.objects.bulk_create(projects.values())
    ballots = [Ballot(heading=heading, voter_key=voter) for voter in election.votes]
    Ballot.objects.bulk_create(ballots, batch_size=5000)
    choices = []
    for ballot, (_voter, chosen, points) in zip(ballots, election.ballots(), strict=True):
        for position, (project_id, value) in enumerate(zip(chosen, points, strict=True)):
            choices.append(BallotChoice(ballot=ballot, project=projects[project_id], position=position, points=value))
    BallotChoice.objects.bulk_create(choices, batch_size=10000)
    tallies = tally(heading)
    problems = []
    column = "score" if "score" in election.project_columns else "votes"
    for project_id, row in election.projects.items():
        stated = row.get(column, "")
        computed = tallies.get(projects[project_id].pk, Decimal(0))
        if stated and Decimal(stated) != computed:
            problems.append(f"project {project_id}: the file says {column}={stated}, the ballots give {computed}")
    return cycle, problems


def tally(heading: Heading) -> dict[int, Decimal]:
    """Votes per project from the stored ballots: approvals, points (cumulative) or Borda
    points for ranked ballots (k for the first of k places, then k-1, ...)."""
    rule = heading.cycle.ballot_rule
    result: dict[int, Decimal] = defaultdict(Decimal)
    choices = BallotChoice.objects.filter(ballot__heading=heading)
    if rule == "cumulative":
        for project_id, points in choices.values("project_id").annotate(total=Sum("points")).values_list(
                "project_id", "total"):
            result[project_id] = Decimal(points)
    elif rule == "ordinal":
        places = heading.cycle.max_choices or max(
            (c + 1 for c in choices.values_list("position", flat=True)), default=1)
        for project_id, position in choices.values_list("project_id", "position"):
            result[project_id] += Decimal(places - position)
    else:
        for project_id in choices.values_list("project_id", flat=True):
            result[project_id] += 1
    return dict(result)


@transaction.atomic
def run_selection(heading: Heading, rule: str | None = None) -> list[Decision]:
    cycle = heading.cycle
    rule = rule or cycle.selection_rule
    projects = {p.pk: p for p in heading.projects.all()}
    tallies = tally(heading)
    key_of = {p.pk: p.external_id or str(p.pk) for p in projects.values()}
    if rule.startswith("equalshares"):
        ballots: dict[int, list[str]] = defaultdict(list)
        for ballot_id, project_id in BallotChoice.objects.filter(ballot__heading=heading).order_by(
                "ballot_id", "position").values_list("ballot_id", "project_id"):
            ballots[ballot_id].append(key_of[project_id])
        decisions = equal_shares({key_of[pk]: p.cost for pk, p in projects.items()}, list(ballots.values()),
                                 heading.money)
    else:
        candidates = [Candidate(key_of[pk], p.cost, tallies.get(pk, Decimal(0))) for pk, p in projects.items()]
        threshold = cycle.min_project_score_threshold
        decisions = greedy(candidates, heading.money, skip=rule != "greedy-no-skip", threshold=threshold)
    by_key = {key_of[pk]: p for pk, p in projects.items()}
    for decision in decisions:
        project = by_key[decision.project_id]
        project.tally = tallies.get(project.pk, Decimal(0))
        project.status = ProjectStatus.SELECTED if decision.selected else ProjectStatus.NOT_SELECTED
        project.selection_reason = decision.reason[:300]
    Project.objects.bulk_update(by_key.values(), ["tally", "status", "selection_reason"])
    return decisions
