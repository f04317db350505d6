"""Admin of the information centre. New document versions go through ``actions.add_version``
(numbering, file checks, search vector); earlier versions are read-only."""
from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.forms import BaseInlineFormSet
from django.http import HttpRequest

from . import actions
from .models import Document, DocumentVersion, News, Page


class VersionInline(admin.StackedInline):  # type: ignore[type-arg]
    model = DocumentVersion
    extra = 0
    fields = ["number", "text", "file", "note", "created_at"]
    readonly_fields = ["number", "created_at"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a published version is never rewritten: add a new one

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["title", "doc_type", "level", "status", "adopted_on"]
    list_filter = ["doc_type", "level", "status"]
    search_fields = ["title"]
    prepopulated_fields = {"slug": ("title",)}
    inlines = [VersionInline]

    def save_formset(self, request: HttpRequest, form: Any, formset: BaseInlineFormSet[Any, Any, Any],
                     change: bool) -> None:
        if formset.model is not DocumentVersion:
            super().save_formset(request, form, formset, change)
            return
        for version in formset.save(commit=False):
            if version.pk is None:
                actions.add_version(form.instance, text=version.text, note=version.note, file=version.file or None)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        actions.reindex(form.instance)  # the title or summary may have changed


@admin.register(Page)
class PageAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["title", "slug", "updated_at"]


@admin.register(News)
class NewsAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["title", "published_at"]
    exclude = ["created_by"]

    def save_model(self, request: HttpRequest, obj: News, form: Any, change: bool) -> None:
        if obj.created_by_id is None:
            obj.created_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)
