"""A new appeal: its number, its checks, its acceptance, registration and routing.

``submit_appeal`` accepts the appeal; a citizen's appeal from the web or phone registers
(``register_appeal``) and routes itself (``route_appeal``) in the same transaction."""
from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext as _

from geoportal.models import Agency, District
from outbox import core as outbox

from ..deadlines import compute_deadline
from ..models import (
    MAP_CHANNELS,
    SELF_REGISTERING_CHANNELS,
    Appeal,
    AppealAttachment,
    AppealEvent,
    AppealPhoto,
    Category,
    DeadlineRule,
    DeadlineViolation,
    Kind,
    PhotoKind,
    Status,
    ViolationKind,
)
from ..routing_service import RoutingDecision, decide
from .base import _locked, _require, appeal_write, record, transition
from .numbering import current as current_numbering
from .numbering import next_number, numbers_last


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


@numbers_last
@appeal_write
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
    from the web or phone registers and routes itself in the same transaction. Its public number
    is taken by the write's last statement (``numbering``): until then ``appeal.number`` is a
    placeholder that the notices' texts carry and that statement replaces.

    ``photos`` are validated uploads with the GPS position read from their EXIF (or None);
    with no pin, the first GPS position becomes the location."""
    author = author if author is not None and author.is_authenticated else None
    anonymous = is_anonymous(author, author_name, author_contact)
    location, location_source = initial_location(location, photos)
    district = validate_submission(channel=channel, category=category, text=text, location=location,
                                   address=address, anonymous=anonymous, photo_count=len(photos))
    now = timezone.now()
    appeal = Appeal(
        # The public number is taken last (numbering): the year's counter stays locked from then
        # until commit and every submission waits for it. Until then the row carries a unique
        # placeholder that no other transaction ever sees.
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
    record(AppealEvent.objects.create(appeal=appeal, actor=actor or author, kind="submit",
                                      to_status=Status.SUBMITTED, data={"channel": channel}))
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
    numbering = current_numbering()
    number_field: tuple[str, ...] = ()
    if numbering is None:  # inside a write that stores its own outbox row: the number now
        appeal.number = next_number(now)
        number_field = ("number",)
    else:
        numbering.add(appeal, now)
    if registers_itself:  # the row was inserted by this write: no lock to take
        _register(appeal, actor=None, decision=decision, also_save=number_field)
    elif number_field:
        appeal.save(update_fields=number_field)
    return appeal


def _deadline_for(appeal: Appeal, registered_at: dt.datetime) -> dt.datetime:
    category = appeal.category
    if category.deadline_rule == DeadlineRule.WORKING_DAYS:
        return compute_deadline(registered_at, working_days=category.deadline_days, calendar_days=None)
    return compute_deadline(registered_at, working_days=None, calendar_days=category.deadline_days)


@appeal_write
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
    transition(appeal, "register", actor=actor, data={"deadline_at": appeal.deadline_at.isoformat()},
               update_fields=("registered_at", "deadline_at", *also_save))
    if now - appeal.received_at > dt.timedelta(days=settings.APPEAL_REGISTRATION_DAYS):
        DeadlineViolation.objects.get_or_create(appeal=appeal, kind=ViolationKind.REGISTRATION)
    _route(appeal, actor=None, decision=decision)
    return appeal


@appeal_write
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
        appeal.routing_facts = decision.facts
        appeal.routing_suggestions = decision.suggestions
        routing_fields = ("routing_confidence", "routing_explanation", "routing_facts", "routing_suggestions")
        if not decision.auto or decision.agency_id is None:
            appeal.save(update_fields=routing_fields)
            record(AppealEvent.objects.create(appeal=appeal, kind="routing_queued", reason=decision.explanation,
                                              data={"suggestions": decision.suggestions, "source": decision.source,
                                                    "explanation": decision.facts},
                                              is_public=False))
            return appeal
        agency = decision.agency or Agency.objects.get(pk=decision.agency_id)
        reason = decision.explanation
        data = {"source": decision.source, "confidence": decision.confidence, "explanation": decision.facts}
    else:
        data = {"source": "operator"}
        if appeal.routing_suggestions:
            data["suggested"] = appeal.routing_suggestions[0]["agency_id"] if appeal.routing_suggestions else None
    appeal.responsible_agency = agency
    appeal.routed_at = timezone.now()
    data["agency_id"] = agency.pk
    transition(appeal, "route", actor=actor, reason=reason, data=data,
               update_fields=(*routing_fields, "responsible_agency", "routed_at"))
    return appeal

