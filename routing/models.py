"""The versioned registry of trained routers: one row per training run, at most one active."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class RouterModel(models.Model):
    """A trained router: what it was trained on, how it scored, and the model itself (joblib)."""

    version = models.PositiveIntegerField(_("версия"), unique=True)
    created_at = models.DateTimeField(_("создана"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("кем обучена"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    params = models.JSONField(_("параметры"), default=dict)
    metrics = models.JSONField(_("метрики"), default=dict,
                               help_text=_("Точность, macro-F1, по ведомствам, кривая покрытия, базовые линии."))
    data_window_start = models.DateTimeField(_("данные с"), null=True, blank=True)
    data_window_end = models.DateTimeField(_("данные по"), null=True, blank=True)
    test_window_start = models.DateTimeField(_("контрольное окно с"), null=True, blank=True)
    n_train = models.PositiveIntegerField(_("обучающих примеров"), default=0)
    n_test = models.PositiveIntegerField(_("контрольных примеров"), default=0)
    artifact = models.BinaryField(_("модель (joblib)"), editable=False)
    is_active = models.BooleanField(_("активна"), default=False)
    activated_at = models.DateTimeField(_("активирована"), null=True, blank=True)
    note = models.CharField(_("примечание"), max_length=500, blank=True)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("модель маршрутизации")
        verbose_name_plural = _("модели маршрутизации")
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=Q(is_active=True),
                                    name="routermodel_single_active"),
        ]

    def __str__(self) -> str:
        return f"v{self.version}" + (" (активна)" if self.is_active else "")

    @property
    def accuracy(self) -> float | None:
        value = self.metrics.get("accuracy")
        return float(value) if value is not None else None
