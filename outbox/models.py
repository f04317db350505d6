"""One row per write: the side effects it owes, delivered in order by the worker."""
from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """``effects`` is a list of ``[task name, args]``; ``done`` counts those already carried out
    (each one commits together with the counter, so a re-run never repeats one). A message that
    keeps failing gets ``failed_at`` (the dead-letter list in the admin) instead of being lost."""

    created_at = models.DateTimeField(default=timezone.now)
    effects = models.JSONField()
    done = models.PositiveIntegerField(default=0)
    available_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("побочное действие")
        verbose_name_plural = _("побочные действия")
        ordering = ["-created_at"]
        indexes = [
            # the relay's sweep reads only the pending rows, however long the history grows
            models.Index(fields=["available_at"], name="outbox_pending",
                         condition=Q(completed_at__isnull=True, failed_at__isnull=True)),
        ]

    def __str__(self) -> str:
        names = ", ".join(sorted({str(effect[0]).rsplit(".", 1)[-1] for effect in self.effects}))
        return f"#{self.pk} {names}"

    @property
    def state(self) -> str:
        if self.completed_at:
            return "done"
        if self.failed_at:
            return "failed"
        return "pending"
