"""``manage.py pabulib_winners FILE... [--rule R] [--json]``: import each file into a
transaction that is rolled back and run the platform's own selection over the stored ballots.
The file's ``selected`` column is never read."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from projects.models import SelectionRule
from projects.pabulib import PabulibError, parse
from projects.selection import tie_key
from projects.services import import_election, run_selection


class Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Compute winners of Pabulib elections with the platform's selection rules (nothing is kept)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+")
        parser.add_argument("--rule", choices=SelectionRule.values)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        for name in options["files"]:
            path = Path(name)
            if not path.is_file():
                raise CommandError(f"{path}: no such file")
            try:
                election = parse(path.read_text(encoding="utf-8-sig"))
            except PabulibError as exc:
                raise CommandError(f"{path.name}: {exc}") from exc
            rule = options["rule"] or election.rule
            selected: list[str] = []
            try:
                with transaction.atomic():
                    cycle, _problems = import_election(election, path.stem)
                    decisions = run_selection(cycle.headings.get(), rule)
                    selected = sorted((d.project_id for d in decisions if d.selected), key=tie_key)
                    reasons = [f"  {d.project_id}: {d.reason}" for d in decisions]
                    raise Rollback
            except Rollback:
                pass
            if options["json"]:
                self.stdout.write(json.dumps({"file": path.name, "rule": rule, "selected": selected},
                                             ensure_ascii=False))
            else:
                self.stdout.write(f"{path.name} ({rule}): {', '.join(selected)}")
                self.stdout.write("\n".join(reasons))
