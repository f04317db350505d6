"""Publish the outbox's due messages once, or every few seconds with ``--loop`` (a relay of its
own, for deployments whose workers run with OUTBOX_SWEEP_EVERY_S=0)."""
from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from outbox.core import CONNECTION_ERRORS, pending, sweep


class Command(BaseCommand):
    help = "Publish the outbox's due messages to the broker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="keep sweeping until interrupted")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            try:
                sent = sweep()
                self.stdout.write(f"published {sent}; pending {pending().count()}")
            except CONNECTION_ERRORS as exc:
                self.stderr.write(f"database unavailable: {exc}")
                close_old_connections()
            if not options["loop"]:
                return
            time.sleep(max(1, settings.OUTBOX_SWEEP_EVERY_S))
