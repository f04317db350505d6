"""Appeal filters shared by the API, tiles and statistics: one definition of each filter."""
from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django import forms
from django.contrib.gis.geos import Polygon
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters.fields import IsoDateTimeField
from rest_framework.exceptions import ValidationError

from .models import OPEN_STATUSES, Appeal, Category, Status


def parse_bbox(value: str) -> Polygon:
    try:
        west, south, east, north = (float(part) for part in value.split(","))
    except ValueError as exc:
        raise ValidationError({"bbox": _("bbox = west,south,east,north в градусах.")}) from exc
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise ValidationError({"bbox": _("Неверные границы bbox.")})
    return Polygon.from_bbox((west, south, east, north))


def category_with_descendants(category_id: int) -> list[int]:
    ids = [category_id]
    frontier = [category_id]
    while frontier:
        frontier = list(Category.objects.filter(parent_id__in=frontier).values_list("id", flat=True))
        ids.extend(frontier)
    return ids


# Python takes offsets up to ±23:59 and years 1–9999; PostgreSQL refuses offsets beyond ±15:59,
# and a day's arithmetic near year 1 or 9999 overflows. An instant from a query string is taken
# to UTC and kept within these years, or it is a field error (400), never a 500.
EARLIEST_YEAR, LATEST_YEAR = 1000, 9000


def checked_instant(value: dt.datetime) -> dt.datetime | None:
    """An aware datetime in UTC, or None when it is outside the years the API takes."""
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        return None
    return value.astimezone(dt.UTC)


class InstantField(IsoDateTimeField):
    def to_python(self, value: Any) -> dt.datetime | None:
        parsed = super().to_python(value)
        if parsed is None:
            return None
        instant = checked_instant(parsed)
        if instant is None:
            raise forms.ValidationError(_("Дата или дата-время ISO 8601."), code="invalid")
        return instant


class InstantFilter(django_filters.IsoDateTimeFilter):
    field_class = InstantField


class AppealFilter(django_filters.FilterSet):
    bbox = django_filters.CharFilter(method="filter_bbox", label="west,south,east,north")
    district = django_filters.CharFilter(field_name="district__code")
    category = django_filters.NumberFilter(method="filter_category")
    status = django_filters.CharFilter(method="filter_status", label="status[,status...]")
    agency = django_filters.NumberFilter(field_name="responsible_agency_id")
    received_after = InstantFilter(field_name="received_at", lookup_expr="gte")
    received_before = InstantFilter(field_name="received_at", lookup_expr="lt")
    overdue = django_filters.BooleanFilter(method="filter_overdue")

    class Meta:
        model = Appeal
        fields: list[str] = []

    def filter_bbox(self, queryset: QuerySet[Appeal], name: str, value: str) -> QuerySet[Appeal]:
        return queryset.filter(location__intersects=parse_bbox(value))

    def filter_category(self, queryset: QuerySet[Appeal], name: str, value: Any) -> QuerySet[Appeal]:
        return queryset.filter(category_id__in=category_with_descendants(int(value)))

    def filter_status(self, queryset: QuerySet[Appeal], name: str, value: str) -> QuerySet[Appeal]:
        statuses = [s.strip() for s in value.split(",") if s.strip()]
        unknown = [s for s in statuses if s not in Status.values]
        if unknown:
            raise ValidationError({"status": _("Неизвестный статус: {unknown}; допустимы: {allowed}").format(
                unknown=", ".join(unknown), allowed=", ".join(Status.values))})
        return queryset.filter(status__in=statuses)

    def filter_overdue(self, queryset: QuerySet[Appeal], name: str, value: bool) -> QuerySet[Appeal]:
        cond = Q(status__in=OPEN_STATUSES, deadline_at__lt=timezone.now())
        return queryset.filter(cond) if value else queryset.exclude(cond)
