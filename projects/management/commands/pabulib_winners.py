"""``manage.py pabulib_winners FILE... [--rule R] [--json]``: import each file into a
transaction that is rolled back and run the platform's own selection over the stored ballots.
The file's ``selected`` column is never read. A refused file is reported and the others are
computed; the exit status is 1 when any file was refused."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser
from django.db import transaction

from projects.actions import do_import_election, do_run_selection
from projects.management.pabulib_batch import PabulibBatchCommand
from projects.pabulib import RULES, Election, selection_rule
from projects.selection import tie_key


class Rollback(Exception):
    pass


class Command(PabulibBatchCommand):
    help = "Compute winners of Pabulib elections with the platform's selection rules (nothing is kept)."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--rule", choices=sorted(set(RULES) | set(RULES.values())),
                            help="a Pabulib rule name or the platform's; default: the file's META rule")

    def handle(self, *args: Any, **options: Any) -> None:
        self.rule = options["rule"]
        self.run_batch(options["files"], self.winners, as_json=options["json"], describe=self.describe)

    def winners(self, path: Path, election: Election) -> dict[str, Any]:
        rule = self.rule or election.rule
        result: dict[str, Any] = {"rule": rule}
        try:
            with transaction.atomic():
                cycle, _problems = do_import_election(election, path.stem)
                run = do_run_selection(cycle.headings.get(), rule=selection_rule(rule), check=False)
                decisions = list(run.decisions.select_related("project"))
                result["selected"] = sorted((d.project.key for d in decisions if d.selected), key=tie_key)
                result["reasons"] = {d.project.key: d.reason for d in decisions}
                raise Rollback
        except Rollback:
            pass
        return result

    def describe(self, result: dict[str, Any]) -> str:
        lines = [f"{result['file']} ({result['rule']}): {', '.join(result['selected'])}"]
        lines += [f"  {key}: {why}" for key, why in result["reasons"].items()]
        return "\n".join(lines)
