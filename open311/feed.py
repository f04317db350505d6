"""What an Open311 client may read about appeals, and how our lifecycle maps onto the spec's
open/closed. Only public fields: never the requester's name or contacts; texts pass through
the appeals app's own redaction (``issues.access.public_text`` / ``public_answer``)."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext

from issues.access import REDACTED, public_answer, public_text
from issues.models import OPEN_STATUSES, Appeal, AppealEvent, AppealPhoto, DeadlineRule, PhotoKind, Status

from .models import ApiKey, Open311Request


def feed(key: ApiKey | None = None) -> QuerySet[Appeal]:
    """Appeals an Open311 client may read, with what a row needs in a fixed number of queries.

    The public appeals, and registered ones merged into another one (not on the map, but the spec's
    closed status with a note tells a reader where the problem went). A rejected appeal is
    never public (``reject_appeal`` unpublishes it): only the client application whose key
    filed it sees it, closed, with the reason, so it can tell its user."""
    last_public_event = (AppealEvent.objects.filter(appeal=OuterRef("pk"), is_public=True)
                         .order_by("-created_at", "-id").values("created_at")[:1])
    # a merged appeal that never passed registration (an operator merged a fresh duplicate) was
    # never public: its text and photos stay out of the feed
    visible = Appeal.objects.public() | Appeal.objects.filter(is_public=True, status=Status.MERGED,
                                                              registered_at__isnull=False)
    if key is not None:
        visible = visible | Appeal.objects.filter(status=Status.REJECTED, open311__api_key=key)
    return (visible.select_related("category", "responsible_agency", "author__profile", "open311")
            .prefetch_related(Prefetch("photos", queryset=AppealPhoto.objects.exclude(public_copy="")))
            .annotate(updated_at=Subquery(last_public_event)))


def iso(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def status_of(appeal: Appeal) -> tuple[str, str]:
    """Open311 status and status_notes for one of our statuses."""
    if appeal.status in OPEN_STATUSES:
        notes = [str(appeal.get_status_display()).capitalize()]
        if appeal.extended:
            notes.append(gettext("срок продлён"))
        if appeal.deadline_at:
            due = f"{timezone.localtime(appeal.deadline_at):%d.%m.%Y}"
            notes.append(gettext("срок ответа {date}").format(date=due))
        return "open", ", ".join(notes) + "."
    if appeal.status == Status.REJECTED:
        return "closed", gettext("Отклонено: {reason}.").format(reason=appeal.get_reject_reason_display())
    if appeal.status == Status.MERGED:
        return "closed", gettext("Объединено с обращением о той же проблеме (service_request_id {id}).").format(
            id=appeal.duplicate_of_id)
    answer = public_answer(appeal)
    result = str(appeal.get_result_display())
    return "closed", f"{result.capitalize()}. {answer}".strip()


def _requester_parts(appeal: Appeal) -> list[str]:
    """The pieces of a requester's name and contacts as a client sent them (``Фамилия Имя``,
    ``e-mail, phone``): each may turn up alone in a text."""
    parts = re.split(r"[,;]\s*", appeal.author_contact) + appeal.author_name.split()
    return sorted({p.strip() for p in parts if len(p.strip()) >= 4}, key=len, reverse=True)


def without_requester(appeal: Appeal, text: str) -> str:
    """``text`` with each piece of the requester's name and contacts taken out (the appeals
    app's redaction matches the name and the contact line only whole)."""
    for part in _requester_parts(appeal):
        text = re.sub(re.escape(part), REDACTED, text, flags=re.IGNORECASE)
    return text


def public_description(appeal: Appeal) -> str | None:
    text = public_text(appeal)
    return None if text is None else without_requester(appeal, text)


def service_notice(appeal: Appeal) -> str:
    category = appeal.category
    if category.deadline_rule == DeadlineRule.WORKING_DAYS:
        text = gettext("Обращение № {number}. Срок рассмотрения — {days} рабочих дн.")
    else:
        text = gettext("Обращение № {number}. Срок рассмотрения — {days} календарных дн.")
    return text.format(number=appeal.number, days=category.deadline_days)


def _media_url(request: HttpRequest, appeal: Appeal) -> str:
    photos = [p for p in appeal.photos.all() if p.public_copy]
    photos.sort(key=lambda p: (p.kind != PhotoKind.PROBLEM, p.pk))
    return request.build_absolute_uri(photos[0].copy_url) if photos else ""


def request_row(request: HttpRequest, appeal: Appeal) -> dict[str, Any]:
    status, notes = status_of(appeal)
    notes = without_requester(appeal, notes)
    rejected = appeal.status == Status.REJECTED  # its text and address are never published
    record: Open311Request | None = getattr(appeal, "open311", None)
    return {
        "service_request_id": str(appeal.pk),
        "status": status,
        "status_notes": notes,
        "service_name": appeal.category.name,
        "service_code": appeal.category.code,
        "description": None if rejected else public_description(appeal),
        "agency_responsible": appeal.responsible_agency.name if appeal.responsible_agency else "",
        "service_notice": service_notice(appeal),
        "requested_datetime": iso(appeal.received_at),
        "updated_datetime": iso(getattr(appeal, "updated_at", None) or appeal.received_at),
        "expected_datetime": iso(appeal.deadline_at),
        "address": "" if rejected else appeal.address,
        "address_id": record.address_id if record else "",
        "zipcode": "",
        "lat": round(appeal.location.y, 6) if appeal.location else None,
        "long": round(appeal.location.x, 6) if appeal.location else None,
        "media_url": "" if rejected else _media_url(request, appeal),
    }
