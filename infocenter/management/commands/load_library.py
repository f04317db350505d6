"""``manage.py load_library``: the starter documents and pages (idempotent)."""
from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from infocenter.actions import add_version
from infocenter.library_data import DOCUMENTS, NEWS, PAGES
from infocenter.models import Document, News, Page


class Command(BaseCommand):
    help = "Load the starter document library, reference pages and the news item announcing them."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        for spec in DOCUMENTS:
            fields = {k: v for k, v in spec.items() if k not in ("slug", "text")}
            document, _created = Document.objects.update_or_create(slug=spec["slug"], defaults=fields)
            current = document.current
            if current is None or current.text != spec["text"]:
                add_version(document, text=spec["text"], note="начальная редакция" if current is None else "")
        for page in PAGES:
            Page.objects.update_or_create(slug=page["slug"], defaults={"title": page["title"], "body": page["body"]})
        for item in NEWS:
            News.objects.get_or_create(title=item["title"], defaults={"body": item["body"],
                                                                      "published_at": timezone.now()})
        self.stdout.write(f"library: {len(DOCUMENTS)} documents, {len(PAGES)} pages, {len(NEWS)} news")
