"""Rows for the router: one appeal → ``routing.features.RoutingRow``; the history → training set.

The label is the agency that finally answered (after redirects); appeals routed or
redirected by a person but not yet answered count too, because a person chose the agency."""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.gis.geos import Point
from django.db.models import Exists, OuterRef, Q

from geoportal.models import Agency

from .models import Appeal, AppealEvent, Category, Status


def _category_paths() -> dict[int, tuple[str, ...]]:
    categories = {c.pk: c for c in Category.objects.all()}
    paths: dict[int, tuple[str, ...]] = {}
    for pk, cat in categories.items():
        chain: list[str] = []
        node: Category | None = cat
        while node is not None and len(chain) < 10:
            chain.append(node.code)
            node = categories.get(node.parent_id) if node.parent_id else None
        paths[pk] = tuple(chain)
    return paths


def competent_agency_ids(location: Point | None) -> tuple[int, ...]:
    """Active agencies competent at ``location`` (by jurisdiction or district), sorted."""
    if location is None:
        return ()
    return tuple(sorted(Agency.objects.active().serving(location).values_list("id", flat=True)))


def build_row(appeal: Appeal, jurisdiction: tuple[int, ...] | None = None) -> Any:
    """``jurisdiction``: the active agencies competent at the appeal's point, when the caller
    has read them (:func:`competent_agency_ids`, as ``issues.routing_service.decide`` does)."""
    from routing.features import RoutingRow

    location = appeal.location
    if jurisdiction is None:
        jurisdiction = competent_agency_ids(location)
    return RoutingRow(
        appeal_id=appeal.pk,
        text=appeal.text,
        category_code=appeal.category.code,
        category_path=tuple(c.code for c in appeal.category.lineage()),
        lat=location.y if location is not None else None,
        lon=location.x if location is not None else None,
        district_code=appeal.district.code if appeal.district_id and appeal.district else None,
        jurisdiction_agency_ids=jurisdiction,
        channel=appeal.channel,
        received_at=appeal.received_at,
    )


def training_rows(limit: int | None = None) -> tuple[list[Any], list[int], list[dt.datetime]]:
    """(rows, labels, times) ordered by time; jurisdiction is filled by the router's batch
    spatial join, not by one query per appeal."""
    from routing.features import RoutingRow

    by_person = AppealEvent.objects.filter(appeal=OuterRef("pk"), kind__in=("route", "redirect"),
                                           actor__isnull=False)
    queryset = (Appeal.objects.filter(responsible_agency__isnull=False)
                .filter(Q(status__in=(Status.ANSWERED, Status.CLOSED)) | Q(Exists(by_person)))
                .order_by("received_at")
                .values_list("pk", "text", "category_id", "location", "district__code", "channel", "received_at",
                             "responsible_agency_id"))
    if limit:
        queryset = queryset[:limit]
    paths = _category_paths()
    rows, labels, times = [], [], []
    for pk, text, category_id, location, district_code, channel, received_at, agency_id in queryset.iterator(
            chunk_size=5000):
        path = paths.get(category_id, ())
        rows.append(RoutingRow(
            appeal_id=pk, text=text, category_code=path[0] if path else None, category_path=path,
            lat=location.y if location is not None else None, lon=location.x if location is not None else None,
            district_code=district_code, jurisdiction_agency_ids=(), channel=channel, received_at=received_at))
        labels.append(agency_id)
        times.append(received_at)
    return rows, labels, times


def category_names() -> dict[str, str]:
    """Category code → name, for the router's explanations."""
    return dict(Category.objects.values_list("code", "name"))
