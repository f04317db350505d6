"""Celery tasks of the inbox: entry points for the worker and the beat, imported by nothing.

``deliver_notification`` is carried out by the outbox once per owed notice
(``inbox.delivery.notify_on_commit``); ``send_digests`` runs daily from the beat."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from . import delivery
from .models import Notification, NotificationKind, NotificationPreference

TRANSIENT = (OSError, OperationalError, InterfaceError)


@shared_task(autoretry_for=TRANSIENT, retry_backoff=True, max_retries=8)
def deliver_notification(user_id: int, appeal_id: int | None, kind: str, title: str, body: str = "") -> int | None:
    return delivery.deliver(user_id, appeal_id, kind, title, body)


# The name this task had in the appeals app: outbox rows written before the move still carry it,
# and the worker (which loads every app's tasks) carries them out here. Drop after one release.
@shared_task(name="issues.tasks.deliver_notification", autoretry_for=TRANSIENT, retry_backoff=True, max_retries=8)
def deliver_notification_under_its_old_name(user_id: int, appeal_id: int | None, kind: str, title: str,
                                            body: str = "") -> int | None:
    return delivery.deliver(user_id, appeal_id, kind, title, body)


@shared_task
def send_digests(hours: int = 24) -> int:
    """One e-mail per user with the subscription notices of the last ``hours`` not yet e-mailed,
    except for users who turned the digest off in the notification centre."""
    since = timezone.now() - dt.timedelta(hours=hours)
    opted_out = NotificationPreference.objects.filter(kind=NotificationKind.SUBSCRIPTION, email=False)
    pending = (Notification.objects.filter(kind=NotificationKind.SUBSCRIPTION, emailed_at__isnull=True,
                                           created_at__gte=since)
               .exclude(user_id__in=opted_out.values("user_id"))  # the notification centre's switch
               .select_related("user__profile").order_by("created_at"))
    by_user: dict[int, list[Notification]] = defaultdict(list)
    for notification in pending:
        by_user[notification.user_id].append(notification)
    sent = 0
    for items in by_user.values():
        address = delivery.email_address(items[0].user)
        if not address:
            continue
        lines = "\n".join(f"— {n.title}" for n in items)
        # the count in brackets: a number before a Russian noun needs three plural forms
        send_mail(f"Геопортал: новости по вашим подпискам ({len(items)})", lines, settings.DEFAULT_FROM_EMAIL,
                  [address])
        Notification.objects.filter(pk__in=[n.pk for n in items]).update(emailed_at=timezone.now())
        sent += 1
    return sent
