"""``manage.py leadership_report --period 2026-Q3 --out report.html [--language en]``: the
self-contained leadership report for a period (see analytics.report), in Russian unless another
language is asked for. The file appears whole or not at all."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from analytics.params import parse_period
from analytics.report import build_report


class Command(BaseCommand):
    help = "Write the leadership report (one self-contained HTML file) for a period."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--period", required=True, help="2026, 2026-Q3 or 2026-07")
        parser.add_argument("--out", required=True, help="path of the HTML file to write")
        parser.add_argument("--language", default=settings.LANGUAGE_CODE,
                            choices=[code for code, _name in settings.LANGUAGES],
                            help=f"language of the report (default {settings.LANGUAGE_CODE})")

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(options["language"]):
            self.write_report(options)

    def write_report(self, options: dict[str, Any]) -> None:
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
