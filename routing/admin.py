"""Admin for trained router versions: read-only records with "activate" and "roll back" actions."""
from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import RouterModel


@admin.register(RouterModel)
class RouterModelAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("version", "is_active", "created_at", "created_by", "accuracy_display", "macro_f1_display",
                    "rule_display", "linear_display", "n_train", "n_test", "data_window_start", "data_window_end",
                    "note")
    list_filter = ("is_active",)
    readonly_fields = ("version", "created_at", "created_by", "params", "metrics", "data_window_start",
                       "data_window_end", "test_window_start", "n_train", "n_test", "is_active", "activated_at",
                       "note")
    exclude = ("artifact",)
    actions = ("activate_version", "roll_back")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # versions come from training only

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("точность"))
    def accuracy_display(self, obj: RouterModel) -> str:
        return _fmt(obj.metrics.get("accuracy"))

    @admin.display(description=_("macro-F1"))
    def macro_f1_display(self, obj: RouterModel) -> str:
        return _fmt(obj.metrics.get("macro_f1"))

    @admin.display(description=_("таблица правил"))
    def rule_display(self, obj: RouterModel) -> str:
        return _fmt(obj.metrics.get("baseline_rule_accuracy"))

    @admin.display(description=_("LinearSVC"))
    def linear_display(self, obj: RouterModel) -> str:
        return _fmt(obj.metrics.get("baseline_linear_accuracy"))

    @admin.action(description=_("Сделать активной"), permissions=["activate"])
    def activate_version(self, request: HttpRequest, queryset: QuerySet[RouterModel]) -> None:
        if queryset.count() != 1:
            self.message_user(request, _("Выберите ровно одну версию."), messages.ERROR)
            return
        from . import registry  # scikit-learn and joblib behind it: not on every process start (admin autodiscover)

        record = registry.activate(queryset.get().version)
        self.message_user(request, _("Активна версия v%(v)s.") % {"v": record.version}, messages.SUCCESS)

    @admin.action(description=_("Откатить на предыдущую версию"), permissions=["activate"])
    def roll_back(self, request: HttpRequest, queryset: QuerySet[RouterModel]) -> None:
        from . import registry

        try:
            record = registry.rollback()
        except RouterModel.DoesNotExist as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(request, _("Активна версия v%(v)s.") % {"v": record.version}, messages.SUCCESS)

    def has_activate_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser or request.user.has_perm("routing.change_routermodel"))


def _fmt(value: Any) -> str:
    return f"{float(value):.3f}" if isinstance(value, int | float) else "—"
