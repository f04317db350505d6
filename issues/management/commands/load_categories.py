"""``manage.py load_categories``: the starter category tree and its rule table (idempotent).

A portal without demo appeals still needs categories before anyone can file one; seed_demo
loads them only while generating appeals."""
from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from geoportal.models import Agency
from issues.categories import load_categories
from issues.models import CategoryRoute


class Command(BaseCommand):
    help = "Load the starter appeal categories and the category → agency rule table."

    def handle(self, *args: Any, **options: Any) -> None:
        if not Agency.objects.exists():
            raise CommandError("no agencies yet: run seed_demo (or import your agencies) first")
        count = load_categories()
        self.stdout.write(self.style.SUCCESS(
            f"categories: {count}, rule table rows: {CategoryRoute.objects.count()}"))
