"""Parsing and validation of statistics parameters. Every mistake becomes a field error (HTTP 400)
listing what is valid. Filter names and meanings follow ``issues.filters.AppealFilter``
(district = code, category = id with its subcategories, status = comma list, agency, bbox,
received_after/received_before, overdue); the statistics add period, channel, kind, type, result
and classifier_section, and ``agency`` also takes the agency's subordinate bodies."""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from geoportal.converters import query_id
from issues.filters import checked_instant, parse_bbox
from issues.models import AppealType, Channel, Kind, Result, Status

from . import catalog
from .sql import Filters

MAX_ROW_DIMS = 3
MAX_COL_DIMS = 2
PERIOD_RE = re.compile(r"^(\d{4})(?:-(?:Q([1-4])|(0[1-9]|1[0-2])))?$")


@dataclass(frozen=True)
class Period:
    """A calendar year, quarter or month in the portal's time zone: [start, end)."""

    code: str
    start: dt.datetime
    end: dt.datetime

    def previous(self) -> Period:
        year, quarter, month = _split(self.code)
        if month:
            y, m = (year, month - 1) if month > 1 else (year - 1, 12)
            return parse_period(f"{y}-{m:02d}")
        if quarter:
            y, q = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
            return parse_period(f"{y}-Q{q}")
        return parse_period(str(year - 1))

    @property
    def label(self) -> str:
        year, quarter, month = _split(self.code)
        if month:
            return f"{month:02d}.{year}"
        if quarter:
            return _("%(quarter)s квартал %(year)s г.") % {"quarter": quarter, "year": year}
        return _("%(year)s г.") % {"year": year}


def _split(code: str) -> tuple[int, int | None, int | None]:
    match = PERIOD_RE.match(code)
    assert match is not None
    return int(match.group(1)), int(match.group(2)) if match.group(2) else None, (
        int(match.group(3)) if match.group(3) else None)


def parse_period(value: str) -> Period:
    """``2026``, ``2026-Q3`` or ``2026-07``."""
    value = (value or "").strip()
    if not PERIOD_RE.match(value):
        raise ValueError(_("Период: ГГГГ, ГГГГ-Qn или ГГГГ-ММ (например 2026-Q3)."))
    year, quarter, month = _split(value)
    if not 2000 <= year <= 2100:
        raise ValueError(_("Год периода вне диапазона 2000–2100."))
    tz = ZoneInfo(settings.TIME_ZONE)
    if month:
        start = dt.datetime(year, month, 1, tzinfo=tz)
        end = dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=tz)
    elif quarter:
        first = 3 * (quarter - 1) + 1
        start = dt.datetime(year, first, 1, tzinfo=tz)
        end = dt.datetime(year + (quarter == 4), (first + 2) % 12 + 1, 1, tzinfo=tz)
    else:
        start, end = dt.datetime(year, 1, 1, tzinfo=tz), dt.datetime(year + 1, 1, 1, tzinfo=tz)
    return Period(value, start, end)


def current_period(now: dt.datetime, kind: str = "quarter") -> Period:
    local = now.astimezone(ZoneInfo(settings.TIME_ZONE))
    if kind == "month":
        return parse_period(f"{local.year}-{local.month:02d}")
    return parse_period(f"{local.year}-Q{(local.month - 1) // 3 + 1}")


def parse_instant(value: str) -> dt.datetime | None:
    """An ISO 8601 date or datetime (local time when naive) in UTC; None when it is not one,
    names no real day (2026-02-30) or lies outside the years the API takes (issues.filters)."""
    try:
        parsed = parse_datetime(value)
        if parsed is None:
            day = parse_date(value)
            if day is None:
                return None
            parsed = dt.datetime.combine(day, dt.time())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
    return checked_instant(parsed)


def _list(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


CHOICE_FILTERS: dict[str, tuple[str, list[str]]] = {
    "status": ("status", list(Status.values)),
    "channel": ("channel", list(Channel.values)),
    "kind": ("kind", list(Kind.values)),
    "type": ("appeal_type", list(AppealType.values)),
    "result": ("result", list(Result.values)),
}
FILTER_NAMES = ("period", "received_after", "received_before", "district", "category", "agency", "status", "channel",
                "kind", "type", "result", "classifier_section", "bbox", "overdue")


def parse_filters(query: Mapping[str, Any], errors: dict[str, str]) -> tuple[Filters, Period | None]:
    filters = Filters()
    period: Period | None = None
    raw = {name: (query.get(name) or "").strip() for name in FILTER_NAMES}
    if raw["period"]:
        try:
            period = parse_period(raw["period"])
            filters.received_from, filters.received_to = period.start, period.end
        except ValueError as exc:
            errors["period"] = str(exc)
    for name, attr in (("received_after", "received_from"), ("received_before", "received_to")):
        if raw[name]:
            instant = parse_instant(raw[name])
            if instant is None:
                errors[name] = _("Дата или дата-время ISO 8601 (например 2026-07-01 или 2026-07-01T00:00:00+03:00).")
            elif period is not None:
                errors[name] = _("Укажите либо period, либо received_after/received_before.")
            else:
                setattr(filters, attr, instant)
    if filters.received_from and filters.received_to and filters.received_from >= filters.received_to:
        errors["received_before"] = _("Конец интервала должен быть позже начала.")
    if raw["district"]:
        if not re.fullmatch(r"[-a-zA-Z0-9_]{1,50}", raw["district"]):
            errors["district"] = _("Код района: латиница, цифры, дефис.")
        else:
            filters.district = raw["district"]
    for name in ("category", "agency"):
        if raw[name]:
            ident = query_id(raw[name])
            if ident is None:
                errors[name] = _("Целое число — идентификатор.")
            else:
                setattr(filters, name, ident)
    for name, (attr, valid) in CHOICE_FILTERS.items():
        if raw[name]:
            values = _list(raw[name])
            unknown = [v for v in values if v not in valid]
            if unknown:
                errors[name] = _("Неизвестное значение: %(unknown)s; допустимы: %(valid)s.") % {
                    "unknown": ", ".join(unknown), "valid": ", ".join(valid)}
            else:
                setattr(filters, attr, tuple(values))
    if raw["classifier_section"]:
        if not re.fullmatch(r"\d{4}", raw["classifier_section"]):
            errors["classifier_section"] = _("Раздел классификатора — четыре цифры, например 0005.")
        else:
            filters.classifier_section = raw["classifier_section"]
    if raw["bbox"]:
        try:
            filters.bbox = parse_bbox(raw["bbox"]).extent
        except ValidationError as exc:
            errors["bbox"] = str(exc.detail["bbox"]) if isinstance(exc.detail, dict) else str(exc.detail)
    if raw["overdue"]:
        if raw["overdue"].lower() not in ("true", "false", "1", "0"):
            errors["overdue"] = _("true или false.")
        else:
            filters.overdue = raw["overdue"].lower() in ("true", "1")
    return filters, period


@dataclass
class PivotSpec:
    rows: list[str] = field(default_factory=list)
    cols: list[str] = field(default_factory=list)
    metrics: list[str] = field(default_factory=lambda: ["count"])
    filters: Filters = field(default_factory=Filters)
    period: Period | None = None
    want_public: bool = False


def _names(raw: str, valid: Mapping[str, Any], what: str, field_name: str, errors: dict[str, str]) -> list[str]:
    names = _list(raw)
    unknown = [n for n in names if n not in valid]
    if unknown:
        message = (_("Неизвестное измерение: %(unknown)s. Допустимы: %(valid)s.") if what == "dim"
                   else _("Неизвестный показатель: %(unknown)s. Допустимы: %(valid)s."))
        errors[field_name] = message % {"unknown": ", ".join(unknown), "valid": ", ".join(valid)}
    if len(set(names)) != len(names):
        errors[field_name] = _("Повторяется одно и то же имя.")
    return names


def parse_pivot(query: Mapping[str, Any], *, default_metrics: list[str] | None = None) -> PivotSpec:
    """rows, cols, metrics, scope and the filters of a pivot request; ValidationError (400)."""
    errors: dict[str, str] = {}
    unknown_params = sorted(set(query) - {"rows", "cols", "metrics", "scope", "export", *FILTER_NAMES})
    if unknown_params:
        errors["params"] = _("Неизвестные параметры: %(unknown)s. Допустимы: %(valid)s.") % {
            "unknown": ", ".join(unknown_params),
            "valid": ", ".join(["rows", "cols", "metrics", "scope", "export", *FILTER_NAMES])}
    rows = _names(query.get("rows", ""), catalog.DIMENSIONS, "dim", "rows", errors)
    cols = _names(query.get("cols", ""), catalog.DIMENSIONS, "dim", "cols", errors)
    metrics = _names(query.get("metrics", ""), catalog.METRICS, "metric", "metrics", errors) or list(
        default_metrics or ["count"])
    if set(rows) & set(cols):
        errors["cols"] = _("Одно измерение не может быть и в строках, и в столбцах.")
    if len(rows) > MAX_ROW_DIMS:
        errors["rows"] = _("Не более %(max)s измерений в строках.") % {"max": MAX_ROW_DIMS}
    if len(cols) > MAX_COL_DIMS:
        errors["cols"] = _("Не более %(max)s измерений в столбцах.") % {"max": MAX_COL_DIMS}
    scope = query.get("scope", "")
    if scope not in ("", "public", "all"):
        errors["scope"] = _("public или all.")
    filters, period = parse_filters(query, errors)
    if errors:
        raise ValidationError(errors)
    return PivotSpec(rows, cols, metrics, filters, period, want_public=scope == "public")
