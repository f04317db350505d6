"""Drill-down from the agency scorecard to the appeals behind a figure: the appeals of one
responsible agency received in the period, optionally only those counted by one indicator.
The conditions mirror analytics.sql (OVERDUE, redirect/reopen/repeated counts) so a list has as
many appeals as the figure it was opened from (tests compare them). Only register data is shown:
number, dates, category, district, status — never text, address or person."""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from issues.models import OPEN_STATUSES, Appeal, Kind

from .params import Period

# ``show`` value -> (label, condition). None: every appeal counted in the volume.
SHOW: dict[str, str | Promise] = {
    "all": _("все обращения"),
    "overdue": _("просроченные"),
    "redirected": _("переадресованные"),
    "reopened": _("возобновлённые"),
    "repeated": _("повторные"),
}


def condition(show: str, now: dt.datetime) -> Q:
    if show == "overdue":  # analytics.sql.OVERDUE
        return Q(deadline_at__isnull=False) & (
            Q(answered_at__isnull=True, status__in=OPEN_STATUSES, deadline_at__lt=now)
            | Q(answered_at__gt=F("deadline_at")))
    if show == "redirected":
        return Q(redirect_count__gt=0)
    if show == "reopened":
        return Q(reopen_count__gt=0)
    if show == "repeated":
        return Q(kind__in=[Kind.REPEATED, Kind.COLLECTIVE_REPEATED])
    return Q()


def agency_appeals(agency_id: int, period: Period, show: str, *, public: bool, now: dt.datetime) -> QuerySet[Appeal]:
    """The appeals behind the scorecard row (same scope as its figures), newest first."""
    base = Appeal.objects.public() if public else Appeal.objects.all()
    return (base.filter(responsible_agency_id=agency_id, received_at__gte=period.start, received_at__lt=period.end)
            .filter(condition(show, now))
            .select_related("category", "district")
            .only("id", "number", "received_at", "deadline_at", "answered_at", "status", "redirect_count",
                  "reopen_count", "category__name", "category__name_en", "district__name")
            .order_by("-received_at", "-id"))


def row(appeal: Appeal) -> dict[str, Any]:
    on_time = None
    if appeal.answered_at is not None and appeal.deadline_at is not None:
        on_time = appeal.answered_at <= appeal.deadline_at
    return {"id": appeal.pk, "number": appeal.number, "received_at": appeal.received_at,
            "answered_at": appeal.answered_at, "deadline_at": appeal.deadline_at,
            "category": appeal.category.label, "district": appeal.district.name if appeal.district else None,
            "status": appeal.get_status_display(), "on_time": on_time,
            "redirect_count": appeal.redirect_count, "reopen_count": appeal.reopen_count}
