from __future__ import annotations

from django.contrib import admin

from .models import Document, DocumentVersion, Page


class VersionInline(admin.TabularInline):  # type: ignore[type-arg]
    model = DocumentVersion
    extra = 0


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["title", "doc_type", "level", "status", "adopted_on"]
    list_filter = ["doc_type", "level", "status"]
    search_fields = ["title"]
    inlines = [VersionInline]


@admin.register(Page)
class PageAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["title", "slug", "updated_at"]
