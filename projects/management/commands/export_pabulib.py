"""``manage.py export_pabulib CYCLE_ID [--out FILE]``: a cycle as a Pabulib file."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from projects.actions import tally
from projects.models import BallotChoice, BallotRule, BudgetCycle
from projects.pabulib import Election, pabulib_rule, pabulib_vote_type, write


class Command(BaseCommand):
    help = "Export a budget cycle (one heading) in the Pabulib format."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("cycle", type=int)
        parser.add_argument("--out")
        parser.add_argument("--heading", type=int, help="the heading (district) to export; default: the first")

    def handle(self, *args: Any, **options: Any) -> None:
        cycle = BudgetCycle.objects.filter(pk=options["cycle"]).first()
        if cycle is None:
            raise CommandError(f"no cycle {options['cycle']}")
        headings = cycle.headings.order_by("id")
        heading = headings.filter(pk=options["heading"]).first() if options["heading"] else headings.first()
        if heading is None:
            raise CommandError("no such heading in the cycle")
        tallies = tally(heading)
        meta = {**{k: str(v) for k, v in cycle.meta.items()}, "budget": f"{heading.money.normalize():f}",
                "vote_type": pabulib_vote_type(cycle.ballot_rule), "rule": pabulib_rule(cycle.selection_rule),
                "num_projects": str(heading.projects.count()), "num_votes": str(heading.ballots.count())}
        column = "score" if cycle.ballot_rule in (BallotRule.RANKED, BallotRule.CUMULATIVE) else "votes"
        projects = {}
        for project in heading.projects.exclude(status="draft").order_by("id"):
            key = project.external_id or str(project.pk)
            row = {"project_id": key, "cost": f"{project.cost.normalize():f}",
                   column: f"{tallies.get(project.pk, 0):f}",
                   "name": project.title}
            if project.geometry is not None:
                centre = project.geometry.centroid
                row.update({"latitude": f"{centre.y:.7f}", "longitude": f"{centre.x:.7f}"})
            projects[key] = row
        votes = {}
        choices = BallotChoice.objects.filter(ballot__heading=heading).order_by("ballot_id", "position")
        rows: dict[int, list[tuple[str, int]]] = {}
        keys = {p.pk: p.external_id or str(p.pk) for p in heading.projects.all()}
        voter_keys = dict(heading.ballots.values_list("id", "voter_key"))
        for ballot_id, project_id, points in choices.values_list("ballot_id", "project_id", "points"):
            rows.setdefault(ballot_id, []).append((keys[project_id], points))
        for ballot_id, items in rows.items():
            record = {"voter_id": voter_keys[ballot_id], "vote": ",".join(p for p, _ in items)}
            if cycle.ballot_rule == BallotRule.CUMULATIVE:
                record["points"] = ",".join(str(v) for _, v in items)
            votes[record["voter_id"]] = record
        vote_columns = ["voter_id", "vote"] + (["points"] if cycle.ballot_rule == BallotRule.CUMULATIVE else [])
        has_geo = any("latitude" in r for r in projects.values())
        project_columns = ["project_id", "cost", column, "name"] + (["latitude", "longitude"] if has_geo else [])
        text = write(Election(meta, projects, votes, project_columns, vote_columns))
        if options["out"]:
            Path(options["out"]).write_text(text, encoding="utf-8")
            self.stdout.write(f"wrote {options['out']}")
        else:
            self.stdout.write(text, ending="")
