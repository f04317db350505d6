"""Administrators issue and revoke API keys here (the raw key is shown once, on creation, and
only its hash is stored) and edit the extra questions of categories (service attributes)."""
from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext, gettext_lazy

from .actions import revoke_api_key
from .models import ApiKey, CategoryAttribute


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "owner", "prefix", "rate_limit_per_minute", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "owner__username"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at", "revoked_by"]
    fields = ["name", "owner", "rate_limit_per_minute", "prefix", "created_at", "last_used_at", "revoked_at",
              "revoked_by"]
    actions = ["revoke"]

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        if not change:
            raw = obj.set_new_secret()
            shown_once = gettext("Ключ «{name}»: {secret} — сохраните его сейчас, он больше не будет показан.")
            messages.warning(request, shown_once.format(name=obj.name, secret=raw))
        super().save_model(request, obj, form, change)

    @admin.action(description=gettext_lazy("Отозвать выбранные ключи"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for key in queryset.filter(revoked_at__isnull=True):
            revoke_api_key(key, actor=request.user)
        messages.success(request, gettext("Ключи отозваны."))


@admin.register(CategoryAttribute)
class CategoryAttributeAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["category", "code", "datatype", "required", "order"]
    list_filter = ["datatype", "required"]
    search_fields = ["code", "description", "category__code", "category__name"]
