"""``manage.py pabulib_winners FILE... [--rule R] [--json]``: import each file into a
transaction that is rolled back and run the platform's own selection over the stored ballots.
The file's ``selected`` column is never read."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from projects.actions import import_election, run_selection
from projects.pabulib import RULES, PabulibError, parse, selection_rule
from projects.selection import tie_key


class Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Compute winners of Pabulib elections with the platform's selection rules (nothing is kept)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+")
        parser.add_argument("--rule", choices=sorted(set(RULES) | set(RULES.values())),
                            help="a Pabulib rule name or the platform's; default: the file's META rule")
        parser.add_argument("--json", action="store_true", help="one JSON object per file")

    def handle(self, *args: Any, **options: Any) -> None:
        for name in options["files"]:
            path = Path(name)
            if not path.is_file():
                raise CommandError(f"{path}: no such file")
            try:
                election = parse(path.read_text(encoding="utf-8-sig"))
            except (PabulibError, UnicodeDecodeError) as exc:
                raise CommandError(f"{path.name}: {exc}") from exc
            rule = options["rule"] or election.rule
            selected: list[str] = []
            reasons: list[str] = []
            try:
                with transaction.atomic():
                    cycle, _problems = import_election(election, path.stem)
                    run = run_selection(cycle.headings.get(), rule=selection_rule(rule), check=False)
                    decisions = list(run.decisions.select_related("project"))
                    selected = sorted((d.project.key for d in decisions if d.selected), key=tie_key)
                    reasons = [f"  {d.project.key}: {d.reason}" for d in decisions]
                    raise Rollback
            except Rollback:
                pass
            if options["json"]:
                self.stdout.write(json.dumps({"file": path.name, "rule": rule, "selected": selected},
                                             ensure_ascii=False))
            else:
                self.stdout.write(f"{path.name} ({rule}): {', '.join(selected)}")
                self.stdout.write("\n".join(reasons))
