"""Celery tasks of the appeals app: photo processing, the change follow-up, deadlines, the
auto-close (notification delivery is the inbox's: ``inbox.tasks``).

The outbox (outbox/) calls the first two once per owed effect inside its own transaction; they
are also safe to run again by themselves (a photo already processed is left alone, its files are
written under fixed names, so a re-run after a crash overwrites instead of orphaning). Lost
connections to the database or the broker are retried with backoff."""
from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import InterfaceError, OperationalError
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from .models import (
    OPEN_STATUSES,
    Appeal,
    AppealEvent,
    AppealPhoto,
    DeadlineViolation,
    Status,
    ViolationKind,
)

log = logging.getLogger(__name__)
# Worth retrying: a file not there yet, the database or the broker unreachable for a moment.
TRANSIENT = (OSError, OperationalError, InterfaceError)


def _save_fixed(name: str, content: bytes) -> str:
    """Save under exactly ``name``: a file left by an interrupted earlier run is replaced, not
    kept beside a new ``name_<random>.jpg``."""
    if default_storage.exists(name):
        default_storage.delete(name)
    return default_storage.save(name, ContentFile(content))


@shared_task(bind=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def process_photo(self: object, photo_id: int) -> str:
    """Make the metadata-free copy and the thumbnail; a failure is recorded and retried, and
    never touches the appeal itself."""
    from .photos import public_copies

    photo = AppealPhoto.objects.filter(pk=photo_id).first()
    if photo is None:
        return "missing"
    if photo.processed_at is not None and photo.public_copy and photo.thumbnail:
        return "already processed"
    try:
        with photo.original.open("rb") as handle:
            full, thumb = public_copies(handle.read())
    except OSError as exc:
        AppealPhoto.objects.filter(pk=photo_id).update(processing_error=str(exc)[:500])
        raise
    # Private folder, unguessable names: the copies are reached only through issues.photo_views,
    # which asks each time whether the appeal is public (or the caller sees it in full). The name
    # is keyed by the secret, not random, so a re-run after a crash overwrites instead of orphaning.
    token = salted_hmac("appeal-photo-copy", str(photo.pk)).hexdigest()[:32]
    folder = f"private/appeals/copies/{token[:2]}"
    photo.public_copy.name = _save_fixed(f"{folder}/{token}.jpg", full)
    photo.thumbnail.name = _save_fixed(f"{folder}/{token}-thumb.jpg", thumb)
    photo.processed_at = timezone.now()
    photo.processing_error = ""
    photo.save(update_fields=["public_copy", "thumbnail", "processed_at", "processing_error"])
    return "ok"


@shared_task(ignore_result=True)
def announce_change(appeal_id: int) -> None:
    """From the outbox, once per write that changed the appeal: tell the durable listeners
    (``appeal_change_delivered``: subscribers' notices, tile aggregates) in the worker."""
    from .actions import appeal_change_delivered

    appeal_change_delivered.send(sender=Appeal, appeal_id=appeal_id)


@shared_task(autoretry_for=(OperationalError, InterfaceError), retry_backoff=True, max_retries=5)
def check_deadlines() -> dict[str, int]:
    """Warn the executor two working days before the deadline, warn the agency head and
    record the violation once it is overdue (``issues.actions.escalate_deadline``, one write per
    appeal). Each notice goes out once per appeal."""
    from .actions import escalate_deadline

    now = timezone.now()
    done = {"warned": 0, "overdue": 0}
    # An appeal whose escalation is recorded already (an overdue one's violation, a near one's
    # warning) is not read again: at ten million appeals some 77,000 open appeals are near or
    # past their deadline, and each would be a transaction of its own every hour, to do nothing.
    recorded = (Q(deadline_at__lt=now) & Exists(DeadlineViolation.objects.filter(
        appeal=OuterRef("pk"), kind=ViolationKind.ANSWER))) | (Q(deadline_at__gte=now) & Exists(
        AppealEvent.objects.filter(appeal=OuterRef("pk"), kind="deadline_warning")))
    candidates = (Appeal.objects.filter(status__in=OPEN_STATUSES, deadline_at__isnull=False,
                                        deadline_at__lt=now + dt.timedelta(days=10))
                  .exclude(recorded).select_related("responsible_agency"))
    for appeal in candidates.iterator(chunk_size=500):
        outcome = escalate_deadline(appeal, now=now)
        if outcome:
            done[outcome] += 1
    return done


@shared_task(autoretry_for=(OperationalError, InterfaceError), retry_backoff=True, max_retries=5)
def auto_close_answered() -> int:
    """Answered appeals the citizen did not rate within APPEAL_AUTO_CLOSE_DAYS are closed."""
    from .actions import close_appeal

    limit = timezone.now() - dt.timedelta(days=settings.APPEAL_AUTO_CLOSE_DAYS)
    closed = 0
    for pk in Appeal.objects.filter(status=Status.ANSWERED, answered_at__lt=limit).values_list("pk", flat=True):
        close_appeal(pk, actor=None, reason=f"нет оценки за {settings.APPEAL_AUTO_CLOSE_DAYS} дней")
        closed += 1
    return closed
