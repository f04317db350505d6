"""Appeal filters shared by the API, tiles and statistics: one definition of each filter."""
from __future__ import annotations

from typing import Any

import django_filters
from django.contrib.gis.geos import Polygon
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
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


class AppealFilter(django_filters.FilterSet):
    bbox = django_filters.CharFilter(method="filter_bbox", label="west,south,east,north")
    district = django_filters.CharFilter(field_name="district__code")
    category = django_filters.NumberFilter(method="filter_category")
    status = django_filters.CharFilter(method="filter_status", label="status[,status...]")
    agency = django_filters.NumberFilter(field_name="responsible_agency_id")
    received_after = django_filters.IsoDateTimeFilter(field_name="received_at", lookup_expr="gte")
    received_before = django_filters.IsoDateTimeFilter(field_name="received_at", lookup_expr="lt")
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
