"""``manage.py export_pabulib CYCLE_ID [--heading ID] [--out FILE]``: one heading of a cycle as a
Pabulib file that pabulib-checker accepts (see ``projects.pabulib_export``)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from projects.models import BudgetCycle
from projects.pabulib import write
from projects.pabulib_export import election_of


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
        text = write(election_of(heading))
        if options["out"]:
            Path(options["out"]).write_text(text, encoding="utf-8")
            self.stdout.write(f"wrote {options['out']}")
        else:
            self.stdout.write(text, ending="")
