"""``manage.py import_pabulib FILE... [--json]``: each file becomes a cycle with its ballots;
tallies are recomputed from VOTES and any disagreement with the file's votes/score column is
reported. Each file is imported in its own transaction: a refused file writes nothing and the
others are imported; the exit status is 1 when any file was refused. What is repaired or skipped
while reading (a project named twice on a ballot, an unreadable vote) is printed as a warning
with its line: see ``projects.pabulib.parse``."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser
from django.db import transaction

from projects.actions import do_import_election
from projects.management.pabulib_batch import PabulibBatchCommand
from projects.pabulib import Election


class Command(PabulibBatchCommand):
    help = "Import Pabulib (.pb) elections; tallies are recomputed from the ballots."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        self.run_batch(options["files"], self.import_one, as_json=options["json"], describe=self.describe)

    def import_one(self, path: Path, election: Election) -> dict[str, Any]:
        with transaction.atomic():
            cycle, problems = do_import_election(election, path.stem)
        return {"cycle": cycle.pk, "projects": len(election.projects), "ballots": len(election.ballots()),
                "disagreements": problems}

    def describe(self, result: dict[str, Any]) -> str:
        lines = [f"{result['file']}: {problem}" for problem in result["disagreements"]]
        lines.append(f"{result['file']}: cycle {result['cycle']}, {result['projects']} projects, "
                     f"{result['ballots']} ballots, {len(result['disagreements'])} disagreements")
        return "\n".join(lines)
