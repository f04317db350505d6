"""Import of a Pabulib election (cycle, heading, projects, ballots)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation

from django.contrib.gis.geos import Point
from django.db import connection, transaction
from django.utils import timezone

from .. import pabulib
from ..models import Ballot as BallotModel
from ..models import BallotChannel, BallotRule, BudgetCycle, Heading, Project, ProjectEvent, ProjectStatus
from ..models import BallotChoice as ChoiceModel
from ..queries import tally


@transaction.atomic
def do_import_election(election: pabulib.Election, name: str) -> tuple[BudgetCycle, list[str]]:
    """Store a Pabulib election as a cycle with one heading, its projects (on the ballot) and
    ballots; return the cycle and the disagreements between the tallies recomputed from VOTES
    and the file's own votes/score columns. The file's ``selected`` column is not read."""
    meta = election.meta
    threshold = meta.get("min_project_score_threshold")
    ballot_rule = pabulib.ballot_rule(election.vote_type)
    selection_rule = pabulib.selection_rule(election.rule)
    max_length = meta.get("max_length", "")
    cycle = BudgetCycle.objects.create(
        name=name[:300], territory=(meta.get("district") or meta.get("unit", ""))[:200],
        total_money=election.budget, currency=meta.get("currency", "RUB")[:3], ballot_rule=ballot_rule,
        selection_rule=selection_rule,
        max_approvals=int(max_length) if max_length.isdigit() and ballot_rule == BallotRule.APPROVAL else None,
        min_approvals=int(meta["min_length"]) if meta.get("min_length", "").isdigit() else None,
        max_ranks=int(max_length) if max_length.isdigit() and ballot_rule == BallotRule.RANKED else None,
        points_total=int(meta["max_sum_points"]) if meta.get("max_sum_points", "").isdigit() else None,
        min_threshold=Decimal(threshold) if threshold else None, meta=meta)
    heading = Heading.objects.create(cycle=cycle, name=(meta.get("subunit") or meta.get("district") or name)[:200],
                                     money=election.budget)
    projects = {}
    problems = []
    for project_id, row in election.projects.items():
        point = None
        try:
            if row.get("latitude") and row.get("longitude"):
                point = Point(float(row["longitude"]), float(row["latitude"]), srid=4326)
        except ValueError:
            problems.append(f"project {project_id}: coordinates {row['latitude']}, {row['longitude']} "
                            "are not numbers: imported without a place")
        projects[project_id] = Project(
            cycle=cycle, heading=heading, external_id=project_id, title=row.get("name", "")[:500] or project_id,
            description=row.get("description", ""), category=row.get("category", "")[:60],
            cost_estimate=Decimal(row["cost"]), geometry=point, status=ProjectStatus.FEASIBLE)
    Project.objects.bulk_create(projects.values())
    ProjectEvent.objects.bulk_create([ProjectEvent(project=p, kind="import", to_status=ProjectStatus.FEASIBLE,
                                                   data={"source": name}) for p in projects.values()])
    _copy_ballots(heading, election.ballots(), {key: p.pk for key, p in projects.items()})
    column = "score" if "score" in election.project_columns else "votes"
    tallies = tally(heading) if column in election.project_columns else {}
    for project_id, row in election.projects.items():
        stated = row.get(column, "")
        computed = tallies.get(projects[project_id].pk, Decimal(0))
        try:
            differs = bool(stated) and Decimal(stated) != computed
        except InvalidOperation:
            differs = True
        if differs:
            problems.append(f"project {project_id}: the file says {column}={stated}, the ballots give {computed}")
    return cycle, problems


def _copy_ballots(heading: Heading, ballots: Sequence[tuple[str, Sequence[str], Sequence[int]]],
                  project_ids: Mapping[str, int]) -> None:
    """Store imported ballots with two COPYs (ballots, then their choices): row-by-row inserts
    took ~20 s for 90,000 voters, COPY takes a few. Ballot ids come back by voter key (unique
    per heading)."""
    ballot_table, choice_table = BallotModel._meta.db_table, ChoiceModel._meta.db_table
    now = timezone.now()
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor  # psycopg's own cursor: Django's wrapper has no COPY
        with cursor.copy(f"COPY {ballot_table} (heading_id, voter_key, channel, created_at) FROM STDIN") as copy:
            for voter, _chosen, _points in ballots:
                copy.write_row((heading.pk, voter, BallotChannel.IMPORT.value, now))
        cursor.execute(f"SELECT voter_key, id FROM {ballot_table} WHERE heading_id = %s", (heading.pk,))
        ballot_ids = dict(cursor.fetchall())
        # numbers only, so COPY's text format needs no escaping; built as text in chunks, which is
        # about twice as fast as a row at a time
        with cursor.copy(f"COPY {choice_table} (ballot_id, project_id, position, points) FROM STDIN") as copy:
            chunk: list[str] = []
            for voter, chosen, points in ballots:
                ballot_id = ballot_ids[voter]
                chunk.extend(f"{ballot_id}\t{project_ids[key]}\t{position}\t{value}\n"
                             for position, (key, value) in enumerate(zip(chosen, points, strict=True)))
                if len(chunk) > 50_000:
                    copy.write("".join(chunk))
                    chunk.clear()
            copy.write("".join(chunk))
