"""What the operator's desk reads: appeals waiting for registration (59-FZ art. 8 p. 2: within
3 days of receipt) or for routing (art. 8 p. 3: to the competent body within 7 days of
registration), the desk's counters, duplicate candidates near an appeal, and how often the
router's automatic choices were corrected last week. Reads only; the desk writes through the
appeals API, i.e. ``issues.actions``."""
from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import Point
from django.contrib.gis.measure import D
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    When,
)
from django.utils import timezone

from geoportal.models import Agency
from issues.models import OPEN_STATUSES, Appeal, AppealEvent, Status
from issues.routing_service import explanation_text

WAITING = (Status.SUBMITTED, Status.REGISTERED)


def _registration_days() -> dt.timedelta:
    return dt.timedelta(days=settings.APPEAL_REGISTRATION_DAYS)


def _routing_days() -> dt.timedelta:
    return dt.timedelta(days=settings.APPEAL_REDIRECT_DAYS)


def waiting() -> QuerySet[Appeal]:
    """Appeals on the desk, each with its ``desk_due``: the registration deadline of a
    received appeal, the routing deadline of a registered one; the oldest deadline first."""
    due = Case(
        When(status=Status.SUBMITTED, then=ExpressionWrapper(F("received_at") + _registration_days(),
                                                             output_field=DateTimeField())),
        default=ExpressionWrapper(F("registered_at") + _routing_days(), output_field=DateTimeField()),
        output_field=DateTimeField())
    return (Appeal.objects.filter(status__in=WAITING, duplicate_of__isnull=True).annotate(desk_due=due)
            .select_related("category", "category__parent", "district").order_by("desk_due", "id"))


def counters(now: dt.datetime | None = None) -> dict[str, int]:
    """Waiting, due today (the desk deadline falls later today), overdue for registration and
    for routing (one statement)."""
    now = now or timezone.now()
    end_of_day = timezone.localtime(now).replace(hour=23, minute=59, second=59, microsecond=999999)
    return waiting().aggregate(
        waiting=Count("id"),
        due_today=Count("id", filter=Q(desk_due__gte=now, desk_due__lte=end_of_day)),
        overdue_registration=Count("id", filter=Q(status=Status.SUBMITTED, desk_due__lt=now)),
        overdue_routing=Count("id", filter=Q(status=Status.REGISTERED, desk_due__lt=now)),
    )


def item(appeal: Any, now: dt.datetime) -> dict[str, Any]:
    """One appeal as desk.js draws it (the operator sees appeals in full: ``visible_to``)."""
    due = appeal.desk_due
    return {
        "id": appeal.pk, "number": appeal.number, "status": appeal.status,
        "status_display": str(Status(appeal.status).label), "channel": str(appeal.get_channel_display()),
        "category": appeal.category.label, "category_id": appeal.category_id,
        "text": appeal.text, "address": appeal.address,
        "district": appeal.district.name if appeal.district_id else "",
        "point": [appeal.location.y, appeal.location.x] if appeal.location else None,
        "received_at": appeal.received_at.isoformat(),
        "due_at": due.isoformat() if due else None, "overdue": bool(due and due < now),
        "due_kind": "registration" if appeal.status == Status.SUBMITTED else "routing",
        "suggestions": [s for s in (appeal.routing_suggestions or []) if s.get("agency_id")][:3],
        "confidence": appeal.routing_confidence,
        "explanation": explanation_text(appeal.routing_facts, appeal.routing_explanation),
    }


def items(limit: int = 300) -> list[dict[str, Any]]:
    now = timezone.now()
    return [item(a, now) for a in waiting()[:limit]]


def duplicate_candidates(appeal: Appeal, limit: int = 10) -> list[dict[str, Any]]:
    """Open appeals near this one from the duplicate window (the category's radius, at least
    150 m), the same category first, then by distance."""
    if appeal.location is None:
        return []
    point: Point = appeal.location
    radius = max(appeal.category.duplicate_radius_m, 150)
    since = timezone.now() - dt.timedelta(days=settings.APPEAL_DUPLICATE_WINDOW_DAYS)
    degrees = radius / (111_320 * max(math.cos(math.radians(point.y)), 0.01))  # index-friendly box first
    from django.contrib.gis.db.models.functions import Distance

    rows = (Appeal.objects.filter(status__in=OPEN_STATUSES, duplicate_of__isnull=True, received_at__gte=since,
                                  location__dwithin=(point, degrees), location__distance_lte=(point, D(m=radius)))
            .exclude(pk=appeal.pk).select_related("category")
            .annotate(distance=Distance("location", point))
            .annotate(same=Case(When(category_id=appeal.category_id, then=0), default=1))
            .order_by("same", "distance", "id")[:limit])
    out = []
    for candidate in rows:
        where: Any = candidate.location
        distance: Any = getattr(candidate, "distance")  # noqa: B009 (annotated above)
        out.append({"id": candidate.pk, "number": candidate.number, "category": candidate.category.label,
                    "status_display": str(Status(candidate.status).label), "text": candidate.text[:200],
                    "address": candidate.address, "point": [where.y, where.x], "distance_m": round(distance.m),
                    "same_category": candidate.category_id == appeal.category_id})
    return out


def corrections_last_week(now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Per agency the router chose on its own last week: how many appeals it routed there and
    how many of them staff later sent elsewhere (a redirect event) — the corrections that feed
    the router's retraining."""
    now = now or timezone.now()
    start = now - dt.timedelta(days=7)
    corrected = AppealEvent.objects.filter(appeal_id=OuterRef("appeal_id"), kind="redirect",
                                           created_at__gt=OuterRef("created_at"))
    rows = (AppealEvent.objects.filter(kind="route", created_at__gte=start, created_at__lt=now,
                                       data__source__in=["model", "rules"])
            .annotate(corrected=Exists(corrected))
            .values("data__agency_id")
            .annotate(auto=Count("id"), corrected_count=Count("id", filter=Q(corrected=True))))
    names = dict(Agency.objects.values_list("id", "short_name"))
    table = []
    for row in rows:
        agency_id = row["data__agency_id"]
        share = row["corrected_count"] / row["auto"] if row["auto"] else 0.0
        table.append({"agency": names.get(int(agency_id), str(agency_id)) if agency_id is not None else "—",
                      "auto": row["auto"], "corrected": row["corrected_count"], "percent": round(100 * share)})
    return sorted(table, key=lambda r: (-r["percent"], -r["auto"], r["agency"]))
