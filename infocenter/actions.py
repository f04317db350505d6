"""Writes of the information centre: page edits and new document versions."""
from __future__ import annotations

from typing import Any

from django.contrib.postgres.search import SearchVector
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max, Value
from django.utils import timezone

from geoportal.models import Role
from geoportal.roles import has_role

from .models import Document, DocumentVersion, News, Page

EDITOR_ROLES = (Role.MODERATOR, Role.ADMIN)


def can_edit(user: Any) -> bool:
    """Pages: moderators and administrators by role, or staff given ``infocenter.change_page``."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    return bool(has_role(user, *EDITOR_ROLES)
                or (user.is_staff and user.has_perm("infocenter.change_page")))


@transaction.atomic
def save_page(*, actor: Any, slug: str, title: str, body: str) -> Page:
    if not can_edit(actor):
        raise PermissionDenied("only moderators and administrators edit pages")
    fields = {"title": title.strip(), "body": body, "updated_at": timezone.now(), "updated_by": actor}
    page, _created = Page.objects.update_or_create(slug=slug, defaults=fields)
    return page


@transaction.atomic
def publish_news(*, actor: Any, title: str, body: str, published_at: Any = None) -> News:
    if not can_edit(actor):
        raise PermissionDenied("only moderators and administrators publish news")
    news = News(title=title.strip(), body=body, published_at=published_at or timezone.now(), created_by=actor)
    news.full_clean()
    news.save()
    return news


@transaction.atomic
def add_version(document: Document, *, text: str, note: str = "", file: Any = None) -> DocumentVersion:
    """A new current version (its file checked for type and size: ValidationError, nothing
    written); the stored search vector follows it in the same transaction."""
    document = Document.objects.select_for_update().get(pk=document.pk)
    number = (document.versions.aggregate(top=Max("number"))["top"] or 0) + 1
    version = DocumentVersion(document=document, number=number, text=text, note=note,
                              **({"file": file} if file else {}))
    version.full_clean()
    version.save()
    reindex(document, text)
    return version


def reindex(document: Document, text: str | None = None) -> None:
    """Title (A), summary (B) and the current version's text (C), Russian stemming."""
    if text is None:
        current = document.versions.order_by("-number").first()
        text = current.text if current else ""
    Document.objects.filter(pk=document.pk).update(search_vector=(
        SearchVector("title", weight="A", config="russian")
        + SearchVector("summary", weight="B", config="russian")
        + SearchVector(Value(text), weight="C", config="russian")))
