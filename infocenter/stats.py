"""Headline figures for the home page, counted from the tables that exist.

Each provider returns a list of ``Figure``; ``headline()`` runs them in order. A provider whose
app is not installed (or whose table is not migrated yet) is skipped, never faked. Other apps
add their figures by appending to ``PROVIDERS`` (e.g. in their ``AppConfig.ready()``)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Count, F, Q
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Figure:
    key: str
    value: int | str
    label: str


def _territory() -> list[Figure]:
    from geoportal.models import Agency, District

    return [Figure("districts", District.objects.count(), _("районов на карте")),
            Figure("agencies", Agency.objects.active().count(), _("ведомств принимают обращения"))]


def _counted_elsewhere() -> dict[str, int] | None:
    """The counts from ``settings.HEADLINE_APPEAL_COUNTS`` (a dotted path: a function returning
    ``total``, ``open``, ``answered``, ``on_time`` from pre-aggregated rows, or None while it has
    none), so the home page does not count every public appeal on each visit."""
    path = getattr(settings, "HEADLINE_APPEAL_COUNTS", "")
    return import_string(path)() if path else None


def _appeals() -> list[Figure]:
    if not apps.is_installed("issues"):
        return []
    from issues.models import OPEN_STATUSES, Appeal, Status

    counts = _counted_elsewhere() or Appeal.objects.public().aggregate(
        total=Count("id"),
        open=Count("id", filter=Q(status__in=OPEN_STATUSES)),
        answered=Count("id", filter=Q(status__in=(Status.ANSWERED, Status.CLOSED))),
        on_time=Count("id", filter=Q(status__in=(Status.ANSWERED, Status.CLOSED), answered_at__isnull=False,
                                     answered_at__lte=F("deadline_at"))),
    )
    share = f"{round(100 * counts['on_time'] / counts['answered'])}%" if counts["answered"] else "—"
    return [Figure("appeals_total", counts["total"], _("обращений за всё время")),
            Figure("appeals_open", counts["open"], _("в работе сейчас")),
            Figure("appeals_answered", counts["answered"], _("получили ответ")),
            Figure("appeals_on_time", share, _("ответов в срок"))]


PROVIDERS: list[Callable[[], list[Figure]]] = [_appeals, _territory]


def headline() -> list[Figure]:
    """Public counts only: no provider may return anything about a person."""
    figures: list[Figure] = []
    for provider in PROVIDERS:
        try:
            with transaction.atomic():  # a savepoint, so a failed query leaves the request usable
                figures.extend(provider())
        except DatabaseError:  # a table not migrated yet: show nothing rather than a made-up number
            continue
    return figures
