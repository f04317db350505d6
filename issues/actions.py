"""Every state-changing write on appeals goes through a function here.

Each action is atomic, locks the appeal row, applies one transition (which leaves an
``AppealEvent``), and owes its side effects (notifications, photo processing, the follow-ups of a
changed appeal) to the outbox: one row in the same transaction, carried out by the worker once,
also when Redis was down at commit. Tile caches are dropped at commit by the ``appeal_changed``
signal (best effort: they expire anyway, and the worker drops them again). Views, the
API, admin, management commands and Celery tasks all call these."""
from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import F
from django.dispatch import Signal
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from geoportal.models import Agency, District
from outbox import core as outbox

from . import notifications
from .access import can_support, can_transition
from .deadlines import compute_deadline
from .models import (
    MAP_CHANNELS,
    SELF_REGISTERING_CHANNELS,
    WORK_STATUSES,
    Appeal,
    AppealAttachment,
    AppealCounter,
    AppealEvent,
    AppealPhoto,
    Category,
    DeadlineRule,
    DeadlineViolation,
    IllegalTransition,
    Kind,
    Message,
    PhotoKind,
    Rating,
    RejectReason,
    Result,
    Status,
    Support,
    ViolationKind,
    Visibility,
)
from .routing_service import RoutingDecision, decide

# Sent after commit with the appeal id and its point, in the process that acted; tiles/ listens
# to drop cached tiles. No logic here, and a failing receiver never fails the request (send_robust).
appeal_changed = Signal()
log = logging.getLogger(__name__)
# Sent by the worker (issues.tasks.announce_change, from the outbox) once per changed appeal and
# write: durable follow-ups listen here (subscribers' notices, tile aggregates). Receivers must be
# idempotent: after a crash the message may be carried out again.
appeal_change_delivered = Signal()


def _send_changed(appeal_id: int, location: Point | None) -> None:
    for receiver, result in appeal_changed.send_robust(sender=Appeal, appeal_id=appeal_id, location=location):
        if isinstance(result, Exception):
            log.warning("appeal_changed receiver %s failed for appeal %s: %r", receiver, appeal_id, result)


def _on_commit_changed(appeal: Appeal) -> None:
    appeal_id = appeal.pk
    if outbox.enqueue("issues.tasks.announce_change", appeal_id):  # once per write and appeal
        # the point as committed (the receivers need not read it again)
        transaction.on_commit(lambda: _send_changed(appeal_id, appeal.location))


def _require(user: Any, appeal: Appeal, transition: str) -> None:
    if user is not None and not can_transition(user, appeal, transition):
        message = _("Нет прав на действие «{transition}» с этим обращением.")
        raise PermissionDenied(message.format(transition=transition))


def _locked(appeal: Appeal | int) -> Appeal:
    pk = appeal.pk if isinstance(appeal, Appeal) else appeal
    return Appeal.objects.select_for_update().get(pk=pk)


def next_number(now: dt.datetime) -> str:
    """The year's next public number (А-2026-000123), without gaps or twins: one upsert of the
    year's counter row, whose lock is held until the write commits (a write that rolls back gives
    its number back). Every submission of the year waits for that lock, so take the number as
    late in the write as possible (:func:`submit_appeal` takes it just before registering)."""
    year = timezone.localtime(now).year
    table = connection.ops.quote_name(AppealCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} (year, last) VALUES (%s, 1) "  # noqa: S608 - our table's name
                       f"ON CONFLICT (year) DO UPDATE SET last = {table}.last + 1 RETURNING last", [year])
        (last,) = cursor.fetchone()
    return f"А-{year}-{last:06d}"


def validate_submission(*, channel: str, category: Category, text: str, location: Point | None, address: str,
                        anonymous: bool, photo_count: int = 0) -> District | None:
    """The invariants of a new appeal, all of them at once as field errors (in the request's
    language: Russian by default, English on English pages). Returns the district containing
    ``location`` (looked up once here, for the appeal's row and its routing)."""
    errors: dict[str, str] = {}
    district = None
    if category.photo_required and not photo_count and channel in MAP_CHANNELS:
        errors["photos"] = _("Для этой категории нужна фотография.")
    if photo_count > settings.APPEAL_MAX_PHOTOS:
        errors["photos"] = _("Не более {count} фотографий.").format(count=settings.APPEAL_MAX_PHOTOS)
    if not category.is_active:
        errors["category"] = _("Категория не действует.")
    stripped = (text or "").strip()
    if len(stripped) < 10:
        errors["text"] = _("Текст обращения должен содержать не менее 10 символов.")
    elif len(stripped) > 5000:
        errors["text"] = _("Текст обращения не должен превышать 5000 символов.")
    if channel in MAP_CHANNELS and location is None:
        errors["location"] = _("Укажите место на карте.")
    if location is None and not address.strip():
        errors["address"] = _("Укажите адрес или место на карте.")
    if location is not None:
        if not (-180 <= location.x <= 180 and -90 <= location.y <= 90):
            errors["location"] = _("Координаты вне допустимого диапазона.")
        elif (district := District.containing(location)) is None:
            errors["location"] = _("Место находится за пределами обслуживаемой территории.")
    if anonymous and not category.anonymous_allowed:
        errors["category"] = _("В этой категории анонимные обращения не принимаются.")
    if errors:
        raise ValidationError(errors)
    return district


def is_anonymous(author: Any, author_name: str, author_contact: str) -> bool:
    """No account and no name with a return address (59-FZ art. 11 p. 1: no answer is due)."""
    return author is None and not (author_name.strip() and author_contact.strip())


def initial_location(pin: Point | None,
                     photos: Sequence[tuple[UploadedFile, tuple[float, float] | None]]) -> tuple[Point | None, str]:
    """The pin, or else the GPS position of the first photo that has one; and its source."""
    if pin is not None:
        return pin, "pin"
    gps = next((g for _f, g in photos if g), None)
    if gps is None:
        return None, ""
    return Point(gps[1], gps[0], srid=4326), "photo_exif"


@outbox.atomic
def submit_appeal(
    *,
    author: Any,
    channel: str,
    category: Category,
    text: str,
    location: Point | None = None,
    address: str = "",
    kind: str = Kind.INDIVIDUAL,
    appeal_type: str = "statement",
    photos: Sequence[tuple[UploadedFile, tuple[float, float] | None]] = (),
    attachments: Sequence[UploadedFile] = (),
    text_is_private: bool = False,
    author_name: str = "",
    author_contact: str = "",
    received_at: dt.datetime | None = None,
    actor: Any = None,
    earlier_appeal: Appeal | None = None,
) -> Appeal:
    """Accept a new appeal. The row and its first event commit together; a citizen's appeal
    from the web or phone registers and routes itself in the same transaction.

    ``photos`` are validated uploads with the GPS position read from their EXIF (or None);
    with no pin, the first GPS position becomes the location."""
    author = author if author is not None and author.is_authenticated else None
    anonymous = is_anonymous(author, author_name, author_contact)
    location, location_source = initial_location(location, photos)
    district = validate_submission(channel=channel, category=category, text=text, location=location,
                                   address=address, anonymous=anonymous, photo_count=len(photos))
    now = timezone.now()
    appeal = Appeal(
        # The public number is taken last (below): the year's counter stays locked from then until
        # commit and every submission waits for it. Until then the row carries a placeholder that
        # no other transaction ever sees.
        number=f"~{uuid.uuid4().hex[:19]}",
        author=author,
        author_name=author_name.strip(),
        author_contact=author_contact.strip(),
        channel=channel,
        kind=Kind.REPEATED if earlier_appeal and kind == Kind.INDIVIDUAL else kind,
        appeal_type=appeal_type,
        category=category,
        text=text.strip(),
        text_is_private=text_is_private,
        location=location,
        location_source=location_source or ("address" if address else ""),
        address=address.strip(),
        district=district,
        received_at=received_at or now,
        no_answer_required=anonymous,
        earlier_appeal=earlier_appeal,
    )
    registers_itself = author is not None and channel in SELF_REGISTERING_CHANNELS
    # What routing reads (agencies at the point, the rule table or the model), read before the number too.
    decision = decide(appeal) if registers_itself else None
    appeal.save(force_insert=True)
    AppealEvent.objects.create(appeal=appeal, actor=actor or author, kind="submit", to_status=Status.SUBMITTED,
                               data={"channel": channel})
    photo_ids = []
    for upload, gps in photos:
        photo = AppealPhoto.objects.create(appeal=appeal, original=upload, kind=PhotoKind.PROBLEM,
                                           gps_lat=gps[0] if gps else None, gps_lon=gps[1] if gps else None)
        photo_ids.append(photo.pk)
    for upload in attachments:
        AppealAttachment.objects.create(appeal=appeal, file=upload, title=upload.name or "", uploaded_by=actor)
    if photo_ids:
        for photo_id in photo_ids:
            outbox.enqueue("issues.tasks.process_photo", photo_id)
    appeal.number = next_number(now)
    if registers_itself:  # the row was inserted by this write: no lock to take
        _register(appeal, actor=None, decision=decision, also_save=("number",))
    else:
        appeal.save(update_fields=["number"])
    _on_commit_changed(appeal)
    return appeal


def _deadline_for(appeal: Appeal, registered_at: dt.datetime) -> dt.datetime:
    category = appeal.category
    if category.deadline_rule == DeadlineRule.WORKING_DAYS:
        return compute_deadline(registered_at, working_days=category.deadline_days, calendar_days=None)
    return compute_deadline(registered_at, working_days=None, calendar_days=category.deadline_days)


@outbox.atomic
def register_appeal(appeal: Appeal | int, *, actor: Any, now: dt.datetime | None = None) -> Appeal:
    """Register (by an operator, or automatically for authenticated web/mobile) and route."""
    return _register(_locked(appeal), actor=actor, now=now)


def _register(appeal: Appeal, *, actor: Any, now: dt.datetime | None = None, decision: RoutingDecision | None = None,
              also_save: tuple[str, ...] = ()) -> Appeal:
    """:func:`register_appeal` of a row this write holds (locked, or inserted by it);
    ``decision``: the routing already decided for it, ``also_save``: fields set by the caller."""
    _require(actor, appeal, "register")
    now = now or timezone.now()
    appeal.registered_at = now
    appeal.deadline_at = _deadline_for(appeal, now)
    appeal.apply_transition("register", actor=actor, data={"deadline_at": appeal.deadline_at.isoformat()},
                            update_fields=("registered_at", "deadline_at", *also_save))
    if now - appeal.received_at > dt.timedelta(days=settings.APPEAL_REGISTRATION_DAYS):
        DeadlineViolation.objects.get_or_create(appeal=appeal, kind=ViolationKind.REGISTRATION)
    notifications.status_changed(appeal, "register")
    _route(appeal, actor=None, decision=decision)
    return appeal


@outbox.atomic
def route_appeal(appeal: Appeal | int, *, actor: Any, agency: Agency | None = None, reason: str = "") -> Appeal:
    """Send a registered appeal to an agency: chosen by an operator, or by the router.

    With no operator choice: the trained router decides when confident; below its threshold
    the appeal waits in the operator's queue with the top suggestions; with no trained model
    the rule table routes it."""
    return _route(_locked(appeal), actor=actor, agency=agency, reason=reason)


def _route(appeal: Appeal, *, actor: Any, agency: Agency | None = None, reason: str = "",
           decision: RoutingDecision | None = None) -> Appeal:
    """:func:`route_appeal` of a row this write holds; ``decision``: the router's, made already."""
    if agency is not None:
        _require(actor, appeal, "route")  # before the state: a refusal tells nothing about it
    if appeal.status != Status.REGISTERED:
        appeal.apply_transition("route", actor=actor)  # raises IllegalTransition
    data: dict[str, Any] = {}
    routing_fields: tuple[str, ...] = ()
    if agency is None:
        decision = decision or decide(appeal)
        appeal.routing_confidence = decision.confidence
        appeal.routing_explanation = decision.explanation
        appeal.routing_suggestions = decision.suggestions
        routing_fields = ("routing_confidence", "routing_explanation", "routing_suggestions")
        if not decision.auto or decision.agency_id is None:
            appeal.save(update_fields=routing_fields)
            AppealEvent.objects.create(appeal=appeal, kind="routing_queued", reason=decision.explanation,
                                       data={"suggestions": decision.suggestions, "source": decision.source},
                                       is_public=False)
            return appeal
        agency = decision.agency or Agency.objects.get(pk=decision.agency_id)
        reason = decision.explanation
        data = {"source": decision.source, "confidence": decision.confidence}
    else:
        data = {"source": "operator"}
        if appeal.routing_suggestions:
            data["suggested"] = appeal.routing_suggestions[0]["agency_id"] if appeal.routing_suggestions else None
    appeal.responsible_agency = agency
    appeal.routed_at = timezone.now()
    data["agency_id"] = agency.pk
    appeal.apply_transition("route", actor=actor, reason=reason, data=data,
                            update_fields=(*routing_fields, "responsible_agency", "routed_at"))
    notifications.status_changed(appeal, "route")
    notifications.new_appeal_for_agency(appeal)
    _on_commit_changed(appeal)
    return appeal


@outbox.atomic
def accept_appeal(appeal: Appeal | int, *, actor: Any) -> Appeal:
    appeal = _locked(appeal)
    _require(actor, appeal, "accept")
    if appeal.executor_id is None and actor is not None:
        appeal.executor = actor
    appeal.apply_transition("accept", actor=actor, update_fields=("executor",))
    notifications.status_changed(appeal, "accept")
    _on_commit_changed(appeal)
    return appeal


@outbox.atomic
def start_work(appeal: Appeal | int, *, actor: Any) -> Appeal:
    appeal = _locked(appeal)
    _require(actor, appeal, "start")
    appeal.apply_transition("start", actor=actor)
    _on_commit_changed(appeal)
    return appeal


@outbox.atomic
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
    AppealEvent.objects.create(appeal=appeal_obj, actor=actor, kind="claim", is_public=False)
    if appeal_obj.status == Status.ROUTED:
        appeal_obj.apply_transition("accept", actor=actor)
        notifications.status_changed(appeal_obj, "accept")
    _on_commit_changed(appeal_obj)
    return appeal_obj


@outbox.atomic
def assign_executor(appeal: Appeal | int, *, actor: Any, executor: Any) -> Appeal:
    appeal = _locked(appeal)
    _require(actor, appeal, "assign")
    if appeal.status not in WORK_STATUSES:
        raise IllegalTransition("assign", appeal.status)
    if appeal.responsible_agency_id not in executor.agency_ids():
        raise ValidationError({"executor": _("Исполнитель не работает в ответственном ведомстве.")})
    appeal.executor = executor
    appeal.save(update_fields=["executor"])
    AppealEvent.objects.create(appeal=appeal, actor=actor, kind="assign", data={"executor_id": executor.pk},
                               is_public=False)
    return appeal


@outbox.atomic
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
    appeal.apply_transition("answer", actor=actor, data={"result": result},
                            update_fields=("answer_text", "result", "answered_at", "executor"))
    if appeal.deadline_at and now > appeal.deadline_at:
        DeadlineViolation.objects.get_or_create(appeal=appeal, kind=ViolationKind.ANSWER,
                                                defaults={"agency": appeal.responsible_agency})
    photo_ids = [AppealPhoto.objects.create(appeal=appeal, original=f, kind=PhotoKind.ANSWER).pk for f in photos]
    if photo_ids:
        for photo_id in photo_ids:
            outbox.enqueue("issues.tasks.process_photo", photo_id)
    notifications.status_changed(appeal, "answer")
    _on_commit_changed(appeal)
    return appeal


@outbox.atomic
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
    appeal.apply_transition("redirect", actor=actor, reason=reason.strip(),
                            data={"from_agency_id": previous, "agency_id": agency.pk, "late": late},
                            update_fields=("responsible_agency", "executor", "routed_at", "redirect_count"))
    appeal.refresh_from_db(fields=["redirect_count"])
    if late:
        DeadlineViolation.objects.get_or_create(appeal=appeal, kind=ViolationKind.REDIRECT,
                                                defaults={"agency_id": previous})
    notifications.status_changed(appeal, "redirect")
    notifications.new_appeal_for_agency(appeal)
    _on_commit_changed(appeal)
    return appeal


@outbox.atomic
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
    AppealEvent.objects.create(appeal=appeal, actor=actor, kind="extend", from_status=appeal.status,
                               to_status=appeal.status, reason=reason.strip(),
                               data={"days": days, "old_deadline": old.isoformat(),
                                     "new_deadline": appeal.deadline_at.isoformat()})
    notifications.status_changed(appeal, "extend")
    _on_commit_changed(appeal)
    return appeal


@outbox.atomic
def reject_appeal(appeal: Appeal | int, *, actor: Any, reason: str, note: str = "") -> Appeal:
    appeal = _locked(appeal)
    _require(actor, appeal, "reject")
    if reason not in RejectReason.values:
        raise ValidationError({"reason": _("Причина должна быть одной из: {choices}.").format(
            choices=", ".join(RejectReason.values))})
    appeal.reject_reason = reason
    appeal.moderation_note = note.strip()
    appeal.is_public = False  # the text is never published (59-FZ art. 11 p. 3)
    with translation.override(settings.LANGUAGE_CODE):  # stored: in the register's language, whoever rejects
        label = str(RejectReason(reason).label)
    appeal.apply_transition("reject", actor=actor, reason=label,
                            data={"code": reason, "note": note.strip()},
                            update_fields=("reject_reason", "moderation_note", "is_public"))
    notifications.status_changed(appeal, "reject")
    _on_commit_changed(appeal)
    return appeal


@outbox.atomic
def merge_appeal(appeal: Appeal | int, *, actor: Any, into: Appeal) -> Appeal:
    appeal = _locked(appeal)
    _require(actor, appeal, "merge")
    if into.pk == appeal.pk or into.duplicate_of_id == appeal.pk:
        raise ValidationError({"into": _("Нельзя объединить обращение само с собой.")})
    appeal.duplicate_of = into
    appeal.apply_transition("merge", actor=actor, data={"into": into.number}, update_fields=("duplicate_of",))
    if appeal.author_id:
        Support.objects.get_or_create(appeal=into, user_id=appeal.author_id)
        Appeal.objects.filter(pk=into.pk).update(supporters_count=into.supports.count())
    notifications.status_changed(appeal, "merge")
    _on_commit_changed(appeal)
    return appeal


@outbox.atomic
def rate_appeal(appeal: Appeal | int, *, actor: Any, solved: bool, score: int, politeness: int | None = None,
                timeliness: int | None = None, comment: str = "") -> Appeal:
    """The citizen's survey; a low score on an unsolved problem reopens the appeal, any other
    rating closes it."""
    appeal = _locked(appeal)
    if actor is None or appeal.author_id != actor.pk:
        raise PermissionDenied(_("Оценить ответ может только автор обращения."))
    if appeal.status != Status.ANSWERED:
        raise IllegalTransition("rate", appeal.status)  # only a received answer is rated
    errors = {}
    for name, value in (("score", score), ("politeness", politeness), ("timeliness", timeliness)):
        if value is not None and not 1 <= int(value) <= 5:
            errors[name] = _("Оценка от 1 до 5.")
    reopen = not solved and score <= settings.APPEAL_REOPEN_SCORE
    if reopen and not comment.strip():
        errors["comment"] = _("Опишите, что не решено.")
    if errors:
        raise ValidationError(errors)
    Rating.objects.update_or_create(appeal=appeal, defaults={
        "solved": solved, "score": score, "politeness": politeness, "timeliness": timeliness,
        "comment": comment.strip(), "created_at": timezone.now()})
    AppealEvent.objects.create(appeal=appeal, actor=actor, kind="rate", from_status=appeal.status,
                               to_status=appeal.status, data={"solved": solved, "score": score}, is_public=True)
    if reopen:
        appeal.answered_at = None
        appeal.result = ""
        appeal.reopen_count = F("reopen_count") + 1
        appeal.apply_transition("reopen", actor=actor, reason=comment.strip(),
                                update_fields=("answered_at", "result", "reopen_count"))
        appeal.refresh_from_db(fields=["reopen_count"])
        notifications.status_changed(appeal, "reopen")
    else:
        appeal.closed_at = timezone.now()
        appeal.apply_transition("close", actor=actor, data={"by": "rating"}, update_fields=("closed_at",))
        notifications.status_changed(appeal, "close")
    _on_commit_changed(appeal)
    return appeal


@outbox.atomic
def close_appeal(appeal: Appeal | int, *, actor: Any = None, reason: str = "") -> Appeal:
    """Close an answered appeal (the citizen did not rate it within the configured days)."""
    appeal = _locked(appeal)
    appeal.closed_at = timezone.now()
    appeal.apply_transition("close", actor=actor, reason=reason, data={"by": "timeout" if actor is None else "staff"},
                            update_fields=("closed_at",))
    notifications.status_changed(appeal, "close")
    _on_commit_changed(appeal)
    return appeal


@outbox.atomic
def post_message(appeal: Appeal | int, *, actor: Any, text: str, visibility: str) -> Message:
    """Dialogue: the author and the agency's staff write public or private messages; staff may
    also leave internal notes that the citizen never sees."""
    appeal = Appeal.objects.get(pk=appeal.pk if isinstance(appeal, Appeal) else appeal)
    if visibility not in Visibility.values:
        raise ValidationError({"visibility": _("Неизвестная видимость.")})
    is_author = actor is not None and appeal.author_id == actor.pk
    is_staff = can_transition(actor, appeal, "note")
    if not (is_author or is_staff):
        raise PermissionDenied(_("Писать здесь могут автор и сотрудники ответственного ведомства."))
    if visibility == Visibility.INTERNAL and not is_staff:
        raise PermissionDenied(_("Служебные заметки — только для сотрудников."))
    if not 1 <= len(text.strip()) <= 5000:
        raise ValidationError({"text": _("Сообщение от 1 до 5000 символов.")})
    message = Message.objects.create(appeal=appeal, author=actor, text=text.strip(), visibility=visibility)
    AppealEvent.objects.create(appeal=appeal, actor=actor, kind="message", data={"message_id": message.pk},
                               is_public=visibility == Visibility.PUBLIC)
    if visibility != Visibility.INTERNAL:
        notifications.message_posted(appeal, message)
    return message


@outbox.atomic
def support_appeal(appeal: Appeal | int, *, actor: Any) -> Appeal:
    """A citizen joins an open appeal instead of filing a duplicate."""
    appeal = _locked(appeal)
    if not can_support(actor, appeal):
        raise PermissionDenied(_("Поддержать обращение может житель, кроме его автора."))
    if appeal.status not in (Status.REGISTERED, Status.ROUTED, Status.ACCEPTED, Status.IN_PROGRESS):
        raise IllegalTransition("support", appeal.status)  # only an open appeal
    _support, created = Support.objects.get_or_create(appeal=appeal, user=actor)
    if created:
        appeal.supporters_count = F("supporters_count") + 1
        appeal.save(update_fields=["supporters_count"])
        appeal.refresh_from_db(fields=["supporters_count"])
        AppealEvent.objects.create(appeal=appeal, actor=actor, kind="support", is_public=True)
    return appeal


@outbox.atomic
def moderate_appeal(appeal: Appeal | int, *, actor: Any, is_public: bool | None = None,
                    redacted_text: str | None = None, reason: str) -> Appeal:
    """A moderator hides an appeal from public view or redacts its public text."""
    appeal = _locked(appeal)
    _require(actor, appeal, "moderate")
    if not reason.strip():
        raise ValidationError({"reason": _("Укажите причину.")})
    fields = []
    data: dict[str, Any] = {}
    if is_public is not None:
        appeal.is_public = is_public
        fields.append("is_public")
        data["is_public"] = is_public
    if redacted_text is not None:
        if len(redacted_text.strip()) < 10:
            raise ValidationError({"text": _("Текст после редактирования слишком короткий.")})
        data["original_length"] = len(appeal.text)
        appeal.text = redacted_text.strip()
        fields.append("text")
    appeal.save(update_fields=fields)
    AppealEvent.objects.create(appeal=appeal, actor=actor, kind="moderate", from_status=appeal.status,
                               to_status=appeal.status, reason=reason.strip(), data=data, is_public=False)
    _on_commit_changed(appeal)
    return appeal
