"""Administrators issue and revoke API keys here; the raw key is shown once."""
from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils import timezone

from .models import ApiKey, CategoryAttribute, hash_key


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "owner", "prefix", "rate_limit_per_minute", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    fields = ["name", "owner", "rate_limit_per_minute", "prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        if not change:
            import secrets

            raw = secrets.token_urlsafe(32)
            obj.prefix, obj.key_hash = raw[:8], hash_key(raw)
            messages.warning(request, f"Ключ (показывается один раз): {raw}")
        super().save_model(request, obj, form, change)

    @admin.action(description="Отозвать выбранные ключи")
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


@admin.register(CategoryAttribute)
class CategoryAttributeAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["category", "code", "datatype", "required", "order"]
