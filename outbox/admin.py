"""The dead-letter list: messages whose effects kept failing, with a retry button (admins only:
the rows hold notification texts)."""
from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import core
from .models import OutboxMessage


class StateFilter(admin.SimpleListFilter):
    title = _("состояние")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("failed", _("не выполнены (dead letter)")), ("pending", _("ожидают")), ("done", _("выполнены"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> QuerySet[OutboxMessage]:
        if self.value() == "failed":
            return queryset.filter(failed_at__isnull=False)
        if self.value() == "pending":
            return queryset.filter(failed_at__isnull=True, completed_at__isnull=True)
        if self.value() == "done":
            return queryset.filter(completed_at__isnull=False)
        return queryset


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("id", "__str__", "created_at", "state", "done", "attempts", "failed_at", "last_error_short")
    list_filter = (StateFilter,)
    readonly_fields = ("created_at", "effects", "done", "available_at", "published_at", "completed_at",
                       "failed_at", "attempts", "last_error")
    actions = ["retry_selected"]
    change_form_template = "admin/outbox/outboxmessage/change_form.html"

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    @admin.display(description=_("ошибка"))
    def last_error_short(self, obj: OutboxMessage) -> str:
        return obj.last_error[:120]

    @admin.action(description=_("Повторить выбранные"), permissions=["view"])
    def retry_selected(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        count = core.retry(list(queryset.values_list("pk", flat=True)))
        self.message_user(request, ngettext("%(count)d сообщение поставлено в очередь.",
                                            "%(count)d сообщений поставлено в очередь.", count) % {"count": count},
                          messages.SUCCESS)

    def get_urls(self) -> list[URLPattern]:
        retry = path("<int:pk>/retry/", self.admin_site.admin_view(self.retry_one), name="outbox_outboxmessage_retry")
        return [retry, *super().get_urls()]

    def retry_one(self, request: HttpRequest, pk: int) -> HttpResponseRedirect:
        """The button on a message's page (POST only, CSRF-checked by the admin view)."""
        if request.method != "POST" or not self.has_view_permission(request):
            return HttpResponseRedirect(reverse("admin:outbox_outboxmessage_change", args=[pk]))
        message = get_object_or_404(OutboxMessage, pk=pk)
        core.retry([message.pk])
        self.message_user(request, _("Сообщение поставлено в очередь."), messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:outbox_outboxmessage_change", args=[pk]))
