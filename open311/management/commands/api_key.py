"""Issue or revoke an API key from the command line (the admin does the same):

    manage.py api_key issue --owner operator --name "Мобильное приложение" [--rate 60]
    manage.py api_key revoke --prefix AbCd1234
    manage.py api_key list

The raw key is printed once, on issue; only its hash is stored."""
from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from open311.actions import issue_api_key, revoke_api_key
from open311.models import ApiKey


class Command(BaseCommand):
    help = "Issue, revoke or list API keys of client applications (Open311 and /api/v1/)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=["issue", "revoke", "list"])
        parser.add_argument("--owner", help="username the key acts as")
        parser.add_argument("--name", help="the client application")
        parser.add_argument("--rate", type=int, default=60, help="requests per minute (default 60)")
        parser.add_argument("--prefix", help="the first 8 characters of the key to revoke")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["what"] == "list":
            for key in ApiKey.objects.select_related("owner").order_by("created_at"):
                state = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "active"
                self.stdout.write(f"{key.prefix}…  {key.owner.username:<16} {key.rate_limit_per_minute:>5}/min  "
                                  f"{state:<24} {key.name}")
            return
        if options["what"] == "revoke":
            if not options["prefix"]:
                raise CommandError("--prefix is required")
            found = list(ApiKey.objects.filter(prefix=options["prefix"], revoked_at__isnull=True))
            if len(found) != 1:
                raise CommandError(f"{len(found)} active keys start with {options['prefix']!r}; expected one")
            revoke_api_key(found[0], actor=None)
            self.stdout.write(f"revoked {found[0]}")
            return
        if not options["owner"] or not options["name"]:
            raise CommandError("--owner and --name are required")
        if options["rate"] < 1:
            raise CommandError("--rate must be at least 1")
        owner = get_user_model().objects.filter(username=options["owner"], is_active=True).first()
        if owner is None:
            raise CommandError(f"no active user {options['owner']!r}")
        _key, raw = issue_api_key(name=options["name"], owner=owner, rate_limit_per_minute=options["rate"])
        self.stdout.write(raw)
