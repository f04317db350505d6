"""The notification inbox: a user's in-app notices and what they choose to receive.

The tables were the appeals app's (``issues_notification``, ``issues_notificationpreference``)
and keep their names: the models moved in state only (migrations ``inbox.0001`` and
``issues.0005``), no row moved. A notice may point at an appeal; the inbox never imports the
appeals app (the foreign key names it)."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    STATUS = "status", _("изменение статуса моего обращения")
    MESSAGE = "message", _("новое сообщение по обращению")
    NEW_APPEAL = "new_appeal", _("новое обращение в ведомство")
    DEADLINE = "deadline", _("приближение и нарушение сроков")
    SUBSCRIPTION = "subscription", _("новое по подпискам (в приложении; на почту — дайджестом)")


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    appeal = models.ForeignKey("issues.Appeal", null=True, blank=True, on_delete=models.CASCADE)
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "issues_notification"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at"], name="issues_noti_user_id_f85ec0_idx")]


class NotificationPreference(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_prefs")
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    email = models.BooleanField(default=True)
    in_app = models.BooleanField(default=True)

    class Meta:
        db_table = "issues_notificationpreference"
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="unique_notification_pref")]
