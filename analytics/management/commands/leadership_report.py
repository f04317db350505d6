"""``manage.py leadership_report --period 2026-Q3 --out report.html``: the self-contained
leadership report for a period (see analytics.report). The file appears whole or not at all."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from analytics.params import parse_period
from analytics.report import build_report


class Command(BaseCommand):
    help = "Write the leadership report (one self-contained HTML file) for a period."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--period", required=True, help="2026, 2026-Q3 or 2026-07")
        parser.add_argument("--out", required=True, help="path of the HTML file to write")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            period = parse_period(options["period"])
        except ValueError as exc:
            raise CommandError(f"--period: {exc}") from exc
        out = Path(options["out"])
        if not out.parent.exists():
            raise CommandError(f"--out: folder {out.parent} does not exist")
        html = build_report(period)
        handle, tmp = tempfile.mkstemp(dir=out.parent, prefix=".report-", suffix=".html")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(html)
            os.chmod(tmp, 0o644)
            os.replace(tmp, out)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        self.stdout.write(f"{out} ({len(html.encode('utf-8')) // 1024} KiB) — {period.label}")
