"""``manage.py import_pabulib FILE...``: each file becomes a cycle with its ballots; tallies are
recomputed from VOTES and any disagreement with the file's votes/score column is reported.
All files are imported in one transaction: a malformed one writes nothing."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from projects.actions import import_election
from projects.pabulib import PabulibError, parse


class Command(BaseCommand):
    help = "Import Pabulib (.pb) elections; tallies are recomputed from the ballots."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+")

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        for name in options["files"]:
            path = Path(name)
            if not path.is_file():
                raise CommandError(f"{path}: no such file")
            try:
                election = parse(path.read_text(encoding="utf-8-sig"))
            except (PabulibError, UnicodeDecodeError) as exc:
                raise CommandError(f"{path.name}: {exc}") from exc
            cycle, problems = import_election(election, path.stem)
            for problem in problems:
                self.stderr.write(f"{path.name}: {problem}")
            self.stdout.write(f"{path.name}: cycle {cycle.pk}, {len(election.projects)} projects, "
                              f"{len(election.votes)} ballots, {len(problems)} disagreements")
