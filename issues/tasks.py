"""Celery tasks of the appeals app: photo processing, notification delivery, deadlines."""
from __future__ import annotations

import datetime as dt
import logging
import secrets

from celery import shared_task
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from .deadlines import working_days_between
from .models import (
    OPEN_STATUSES,
    Appeal,
    AppealEvent,
    AppealPhoto,
    DeadlineViolation,
    Notification,
    NotificationPreference,
    Status,
    ViolationKind,
)

log = logging.getLogger(__name__)


@shared_task(bind=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def process_photo(self: object, photo_id: int) -> str:
    """Make the metadata-free copy and the thumbnail; a failure is recorded and retried, and
    never touches the appeal itself."""
    from .photos import public_copies

    photo = AppealPhoto.objects.filter(pk=photo_id).first()
    if photo is None:
        return "missing"
    try:
        with photo.original.open("rb") as handle:
            full, thumb = public_copies(handle.read())
    except OSError as exc:
        AppealPhoto.objects.filter(pk=photo_id).update(processing_error=str(exc)[:500])
        raise
    # Private folder, random names: the copies are reached only through issues.photo_views,
    # which asks each time whether the appeal is public (or the caller sees it in full).
    folder = f"private/appeals/copies/{timezone.now():%Y/%m}"
    token = secrets.token_urlsafe(16)
    photo.public_copy.name = default_storage.save(f"{folder}/{token}.jpg", ContentFile(full))
    photo.thumbnail.name = default_storage.save(f"{folder}/{token}-thumb.jpg", ContentFile(thumb))
    photo.processed_at = timezone.now()
    photo.processing_error = ""
    photo.save(update_fields=["public_copy", "thumbnail", "processed_at", "processing_error"])
    return "ok"


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def deliver_notification(user_id: int, appeal_id: int | None, kind: str, title: str, body: str = "") -> int | None:
    from geoportal.models import User

    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or (appeal_id is not None and not Appeal.objects.filter(pk=appeal_id).exists()):
        return None
    pref = NotificationPreference.objects.filter(user=user, kind=kind).first()
    in_app = pref.in_app if pref else True
    email = pref.email if pref else True
    notification = None
    if in_app:
        notification = Notification.objects.create(user=user, appeal_id=appeal_id, kind=kind, title=title, body=body)
    address = user.email or (user.profile.email if hasattr(user, "profile") else "")
    if email and address:
        send_mail(subject=title[:200], message=f"{title}\n\n{body}".strip(), from_email=settings.DEFAULT_FROM_EMAIL,
                  recipient_list=[address])
        if notification:
            Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
    return notification.pk if notification else 0


@shared_task
def check_deadlines() -> dict[str, int]:
    """Warn the executor two working days before the deadline, warn the agency head and
    record the violation once it is overdue. Each notice goes out once per appeal."""
    from geoportal.models import StaffMembership, StaffRole

    from . import notifications

    now = timezone.now()
    warned = overdue = 0
    candidates = (Appeal.objects.filter(status__in=OPEN_STATUSES, deadline_at__isnull=False,
                                        deadline_at__lt=now + dt.timedelta(days=10))
                  .select_related("responsible_agency"))
    for appeal in candidates.iterator(chunk_size=500):
        deadline_at = appeal.deadline_at
        agency_id = appeal.responsible_agency_id or 0
        assert deadline_at is not None
        with transaction.atomic():
            if deadline_at < now:
                _violation, created = DeadlineViolation.objects.get_or_create(
                    appeal=appeal, kind=ViolationKind.ANSWER, defaults={"agency": appeal.responsible_agency})
                if created:
                    overdue += 1
                    heads = set(StaffMembership.objects.filter(agency_id=agency_id,
                                                               role=StaffRole.AGENCY_HEAD)
                                .values_list("user_id", flat=True))
                    AppealEvent.objects.create(appeal=appeal, kind="overdue", is_public=False)
                    notifications.deadline_notice(heads, appeal, f"Просрочено обращение {appeal.number}")
            elif (working_days_between(now, deadline_at) <= settings.APPEAL_DUE_SOON_WORKING_DAYS
                  and not AppealEvent.objects.filter(appeal=appeal, kind="deadline_warning").exists()):
                warned += 1
                AppealEvent.objects.create(appeal=appeal, kind="deadline_warning", is_public=False)
                targets = {appeal.executor_id} if appeal.executor_id else set(
                    StaffMembership.objects.filter(agency_id=agency_id,
                                                   role=StaffRole.EXECUTOR).values_list("user_id", flat=True))
                notifications.deadline_notice({t for t in targets if t}, appeal,
                                              f"Срок ответа по обращению {appeal.number} истекает "
                                              f"{timezone.localtime(deadline_at):%d.%m.%Y}")
    return {"warned": warned, "overdue": overdue}


@shared_task
def auto_close_answered() -> int:
    """Answered appeals the citizen did not rate within APPEAL_AUTO_CLOSE_DAYS are closed."""
    from .actions import close_appeal

    limit = timezone.now() - dt.timedelta(days=settings.APPEAL_AUTO_CLOSE_DAYS)
    closed = 0
    for pk in Appeal.objects.filter(status=Status.ANSWERED, answered_at__lt=limit).values_list("pk", flat=True):
        close_appeal(pk, actor=None, reason=f"нет оценки за {settings.APPEAL_AUTO_CLOSE_DAYS} дней")
        closed += 1
    return closed
