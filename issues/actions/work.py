"""The agency's work on an appeal: taking it (accept, claim, assign), working it (start,
extend), answering, redirecting to the competent agency, and closing it."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from geoportal.models import Agency
from outbox import core as outbox

from ..models import (
    WORK_STATUSES,
    Appeal,
    AppealEvent,
    AppealPhoto,
    DeadlineViolation,
    IllegalTransition,
    PhotoKind,
    Result,
    Status,
    ViolationKind,
)
from .base import _locked, _require, appeal_write, record, transition


@appeal_write
def accept_appeal(appeal: Appeal | int, *, actor: Any) -> Appeal:
    appeal = _locked(appeal)
    _require(actor, appeal, "accept")
    if appeal.executor_id is None and actor is not None:
        appeal.executor = actor
    transition(appeal, "accept", actor=actor, update_fields=("executor",))
    return appeal


@appeal_write
def start_work(appeal: Appeal | int, *, actor: Any) -> Appeal:
    appeal = _locked(appeal)
    _require(actor, appeal, "start")
    transition(appeal, "start", actor=actor)
    return appeal


@appeal_write
def claim_appeal(appeal: Appeal | int, *, actor: Any) -> Appeal:
    """An executor takes an unclaimed appeal of their agency's queue (first one wins)."""
    appeal_obj = _locked(appeal)
    _require(actor, appeal_obj, "accept")
    if appeal_obj.status not in WORK_STATUSES:
        raise IllegalTransition("claim", appeal_obj.status)
    taken = Appeal.objects.filter(pk=appeal_obj.pk, executor__isnull=True).update(executor=actor)
    if not taken and appeal_obj.executor_id != actor.pk:
        raise ValidationError({"executor": _("Обращение уже взято другим исполнителем.")})
    appeal_obj.refresh_from_db()
    record(AppealEvent.objects.create(appeal=appeal_obj, actor=actor, kind="claim", is_public=False))
    if appeal_obj.status == Status.ROUTED:
        transition(appeal_obj, "accept", actor=actor)
    return appeal_obj


@appeal_write
def assign_executor(appeal: Appeal | int, *, actor: Any, executor: Any) -> Appeal:
    appeal = _locked(appeal)
    _require(actor, appeal, "assign")
    if appeal.status not in WORK_STATUSES:
        raise IllegalTransition("assign", appeal.status)
    if appeal.responsible_agency_id not in executor.agency_ids():
        raise ValidationError({"executor": _("Исполнитель не работает в ответственном ведомстве.")})
    appeal.executor = executor
    appeal.save(update_fields=["executor"])
    record(AppealEvent.objects.create(appeal=appeal, actor=actor, kind="assign", data={"executor_id": executor.pk},
                                      is_public=False))
    return appeal


@appeal_write
def answer_appeal(appeal: Appeal | int, *, actor: Any, text: str, result: str,
                  photos: Sequence[UploadedFile] = ()) -> Appeal:
    appeal = _locked(appeal)
    _require(actor, appeal, "answer")
    errors = {}
    if len((text or "").strip()) < 10:
        errors["text"] = _("Ответ по существу должен содержать не менее 10 символов.")
    if result not in Result.values or result == Result.NO_ANSWER and not appeal.no_answer_required:
        errors["result"] = _("Укажите результат рассмотрения.")
    if len(photos) > settings.APPEAL_MAX_PHOTOS:
        errors["photos"] = _("Не более {count} фотографий.").format(count=settings.APPEAL_MAX_PHOTOS)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    appeal.answer_text = text.strip()
    appeal.result = result
    appeal.answered_at = now
    if appeal.executor_id is None:
        appeal.executor = actor
    transition(appeal, "answer", actor=actor, data={"result": result},
               update_fields=("answer_text", "result", "answered_at", "executor"))
    if appeal.deadline_at and now > appeal.deadline_at:
        DeadlineViolation.objects.get_or_create(appeal=appeal, kind=ViolationKind.ANSWER,
                                                defaults={"agency": appeal.responsible_agency})
    photo_ids = [AppealPhoto.objects.create(appeal=appeal, original=f, kind=PhotoKind.ANSWER).pk for f in photos]
    if photo_ids:
        for photo_id in photo_ids:
            outbox.enqueue("issues.tasks.process_photo", photo_id)
    return appeal


@appeal_write
def redirect_appeal(appeal: Appeal | int, *, actor: Any, agency: Agency, reason: str) -> Appeal:
    """Send to the competent agency (59-FZ art. 8 p. 3: within 7 days of registration)."""
    appeal = _locked(appeal)
    _require(actor, appeal, "redirect")
    if not reason.strip():
        raise ValidationError({"reason": _("Укажите причину переадресации.")})
    if agency.pk == appeal.responsible_agency_id:
        raise ValidationError({"agency": _("Обращение уже находится в этом ведомстве.")})
    if not agency.is_active:
        raise ValidationError({"agency": _("Ведомство не действует.")})
    previous = appeal.responsible_agency_id
    now = timezone.now()
    late = bool(appeal.registered_at and now - appeal.registered_at > dt.timedelta(days=settings.APPEAL_REDIRECT_DAYS))
    appeal.responsible_agency = agency
    appeal.executor = None
    appeal.routed_at = now
    appeal.redirect_count = F("redirect_count") + 1
    transition(appeal, "redirect", actor=actor, reason=reason.strip(),
               data={"from_agency_id": previous, "agency_id": agency.pk, "late": late},
               update_fields=("responsible_agency", "executor", "routed_at", "redirect_count"))
    appeal.refresh_from_db(fields=["redirect_count"])
    if late:
        DeadlineViolation.objects.get_or_create(appeal=appeal, kind=ViolationKind.REDIRECT,
                                                defaults={"agency_id": previous})
    return appeal


@appeal_write
def extend_deadline(appeal: Appeal | int, *, actor: Any, days: int, reason: str) -> Appeal:
    """One extension of up to 30 days by the agency head, the citizen told (59-FZ art. 12 p. 2)."""
    appeal = _locked(appeal)
    _require(actor, appeal, "extend")
    if appeal.status not in WORK_STATUSES:
        raise IllegalTransition("extend", appeal.status)
    errors = {}
    if appeal.extended:
        errors["days"] = _("Срок рассмотрения уже продлевался; продление допускается один раз.")
    if not 1 <= days <= settings.APPEAL_MAX_EXTENSION_DAYS:
        errors["days"] = _("Продление — от 1 до {days} дней.").format(days=settings.APPEAL_MAX_EXTENSION_DAYS)
    if not reason.strip():
        errors["reason"] = _("Укажите причину продления.")
    if errors:
        raise ValidationError(errors)
    assert appeal.deadline_at is not None
    old = appeal.deadline_at
    appeal.deadline_at = old + dt.timedelta(days=days)
    appeal.extended = True
    appeal.extension_reason = reason.strip()
    appeal.save(update_fields=["deadline_at", "extended", "extension_reason"])
    record(AppealEvent.objects.create(appeal=appeal, actor=actor, kind="extend", from_status=appeal.status,
                                      to_status=appeal.status, reason=reason.strip(),
                                      data={"days": days, "old_deadline": old.isoformat(),
                                            "new_deadline": appeal.deadline_at.isoformat()}))
    return appeal


@appeal_write
def close_appeal(appeal: Appeal | int, *, actor: Any = None, reason: str = "") -> Appeal:
    """Close an answered appeal (the citizen did not rate it within the configured days)."""
    appeal = _locked(appeal)
    appeal.closed_at = timezone.now()
    transition(appeal, "close", actor=actor, reason=reason, data={"by": "timeout" if actor is None else "staff"},
               update_fields=("closed_at",))
    return appeal

