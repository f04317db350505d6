"""What the Pabulib batch commands share: each file is one item, read and handled on its own;
a bad file is reported (with the line where known) and the others go on; the exit status says
whether any failed; ``--json`` prints one object per file, with ``error`` for a failed one."""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from projects.pabulib import Election, PabulibError, read


class PabulibBatchCommand(BaseCommand):
    # the system checks (URLs, admin, ...) cost seconds on every start and nothing here needs them:
    # a command run over thousands of files in a loop should not pay for them each time
    requires_system_checks: list[str] = []
    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+")
        parser.add_argument("--json", action="store_true", help="one JSON object per file")

    def run_batch(self, files: list[str], handle_one: Callable[[Path, Election], dict[str, Any]], *,
                  as_json: bool, describe: Callable[[dict[str, Any]], str]) -> None:
        failed = 0
        for name in files:
            path = Path(name)
            result: dict[str, Any] = {"file": path.name}
            try:
                election = read(path)
                result["warnings"] = election.warnings
                result.update(handle_one(path, election))
            except (PabulibError, DatabaseError, ValueError, ArithmeticError) as exc:
                # a file the database refuses (a value too long for a column, ...) or that does not
                # read as an election: this item fails, the batch goes on
                failed += 1
                result["error"] = str(exc).strip()
            if as_json:
                self.stdout.write(json.dumps(result, ensure_ascii=False))
                continue
            for warning in result.get("warnings", []):
                self.stderr.write(f"{path.name}: warning: {warning}")
            if "error" in result:
                self.stderr.write(f"{path.name}: refused: {result['error']}")
            else:
                self.stdout.write(describe(result))
        if failed:
            raise CommandError(f"{failed} of {len(files)} file(s) failed", returncode=1)
