"""Appeal filters for tiles, heatmap and choropleth: the API's :class:`AppealFilter` with two
changes that keep every request to one SQL statement — the category subtree is a recursive
subquery instead of a Python loop, and ``period`` (a compact period) is added.

:func:`parse_filters` validates the query string once and returns a :class:`TileFilters`
that knows its cache key and whether the precomputed aggregates can answer it."""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ValidationError

from issues.filters import AppealFilter
from issues.models import Appeal, Category, Status

from . import conf

# Query parameters that change what a tile holds; everything else is ignored (and kept out
# of the cache key).
FILTER_PARAMS = ("category", "status", "agency", "district", "period", "received_after", "received_before",
                 "overdue")
PRECOMPUTABLE = frozenset({"category", "status", "period"})

_CATEGORY_TREE_SQL = (
    f"WITH RECURSIVE tree(id) AS (SELECT id FROM {Category._meta.db_table} WHERE id = %s "  # noqa: S608
    f"UNION SELECT c.id FROM {Category._meta.db_table} c JOIN tree ON c.parent_id = tree.id) SELECT id FROM tree"
)
# lazy: the message is rendered in the language of the request that gets it
PERIOD_HELP = gettext_lazy(
    "Период: 30d (последние N дней), 2025, 2025-03, 2025-01..2025-06 или 2025-01-15..2025-02-01.")


def category_subtree(category_id: int) -> RawSQL:
    """The category and all its descendants, as a subquery (no extra round trip)."""
    return RawSQL(_CATEGORY_TREE_SQL, [int(category_id)])  # noqa: S611 - constant SQL, bound int


def _start_of(token: str, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a year, month or day token."""
    if re.fullmatch(r"\d{4}", token):
        year = int(token)
        return dt.datetime(year, 1, 1, tzinfo=tz), dt.datetime(year + 1, 1, 1, tzinfo=tz)
    if re.fullmatch(r"\d{4}-\d{2}", token):
        year, month = (int(p) for p in token.split("-"))
        start = dt.datetime(year, month, 1, tzinfo=tz)
        end = dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=tz)
        return start, end
    day = dt.date.fromisoformat(token)
    start = dt.datetime(day.year, day.month, day.day, tzinfo=tz)
    return start, start + dt.timedelta(days=1)


def parse_period(value: str, now: dt.datetime | None = None) -> tuple[dt.datetime | None, dt.datetime | None]:
    """``30d`` → the last 30 days from local midnight; ``2025``, ``2025-03``, ``2025-03-08``;
    ``A..B`` → from the start of A to the end of B (inclusive). Local time zone."""
    tz = timezone.get_current_timezone()
    value = value.strip()
    try:
        relative = re.fullmatch(r"(\d{1,4})d", value)
        if relative:
            days = int(relative.group(1))
            if days < 1:
                raise ValueError(value)
            today = timezone.localtime(now or timezone.now(), tz).date()
            start_day = today - dt.timedelta(days=days - 1)
            return dt.datetime(start_day.year, start_day.month, start_day.day, tzinfo=tz), None
        if ".." in value:
            first, last = value.split("..", 1)
            start, _first_end = _start_of(first, tz)
            _last_start, end = _start_of(last, tz)
        else:
            start, end = _start_of(value, tz)
    except ValueError as exc:
        raise ValidationError({"period": [PERIOD_HELP]}) from exc
    if end <= start:
        raise ValidationError({"period": [_("Конец периода раньше начала.")]})
    return start, end


def _is_month_start(moment: dt.datetime | None) -> bool:
    if moment is None:
        return True
    local = timezone.localtime(moment)
    return local.day == 1 and local.time() == dt.time(0, 0)


def whole_day(moment: dt.datetime, *, up: bool) -> dt.datetime:
    """``moment`` rounded to local midnight (down, or up for an exclusive end): every value
    within one day is one cache key, so a storm of seconds-apart values renders one tile."""
    local = timezone.localtime(moment)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if up and start != local:
        start = dt.datetime.combine(start.date() + dt.timedelta(days=1), dt.time(), tzinfo=local.tzinfo)
    return start


class TileAppealFilter(AppealFilter):
    """AppealFilter with the category subtree as a subquery (``period`` is resolved by
    :func:`parse_filters`, because its dates also pick the aggregate months)."""

    def filter_category(self, queryset: QuerySet[Appeal], name: str, value: Any) -> QuerySet[Appeal]:
        return queryset.filter(category_id__in=category_subtree(int(value)))


@dataclass(frozen=True)
class TileFilters:
    """Validated filters of one request. ``params`` holds the normalised values (a relative
    period is resolved to dates, so the cache key changes at midnight)."""

    params: dict[str, str] = field(default_factory=dict)
    category: int | None = None
    statuses: tuple[str, ...] = ()
    period_start: dt.datetime | None = None
    period_end: dt.datetime | None = None

    @property
    def cache_key(self) -> str:
        if not self.params:
            return "all"
        canonical = "&".join(f"{k}={self.params[k]}" for k in sorted(self.params))
        return hashlib.blake2b(canonical.encode(), digest_size=10).hexdigest()

    @property
    def status_only(self) -> bool:
        """No filter, or only a status filter: what the per-status cells (``tiles.cells``) answer."""
        return set(self.params) <= {"status"}

    @property
    def precomputable(self) -> bool:
        """Whether the cell aggregates (category × status × month) can answer these filters."""
        return set(self.params) <= PRECOMPUTABLE and _is_month_start(self.period_start) and _is_month_start(
            self.period_end)

    def check_zoom(self, z: int) -> None:
        """Filters the cell aggregates cannot answer are taken only from the zoom where points
        are read: below it each new value would group every public appeal live (an anonymous
        aggregate query per value)."""
        if self.params and not self.precomputable and z <= conf.cluster_max_zoom():
            raise ValidationError({"z": [_(
                "Фильтры, кроме категории, статуса и периода целыми месяцами, доступны с масштаба {zoom}."
            ).format(zoom=conf.cluster_max_zoom() + 1)]})

    def queryset(self) -> QuerySet[Appeal]:
        """Public appeals narrowed by the filters (lazy: builds SQL, runs nothing)."""
        data = QueryDict(mutable=True)
        for key, value in self.params.items():
            if key != "period":
                data[key] = value
        queryset = TileAppealFilter(data, queryset=Appeal.objects.public()).qs
        if self.period_start is not None:
            queryset = queryset.filter(received_at__gte=self.period_start)
        if self.period_end is not None:
            queryset = queryset.filter(received_at__lt=self.period_end)
        return queryset

    def query_string(self) -> str:
        from urllib.parse import urlencode

        return urlencode(sorted(self.params.items()))


def parse_filters(query: QueryDict, *, now: dt.datetime | None = None) -> TileFilters:
    """Validate the filter parameters (400 via DRF's ValidationError on bad input)."""
    raw = {k: query.get(k, "").strip() for k in FILTER_PARAMS if query.get(k, "").strip()}
    if not raw:  # the common case (the unfiltered map) skips building a form
        return TileFilters()
    data = QueryDict(mutable=True)
    data.update({k: v for k, v in raw.items() if k != "period"})
    form = TileAppealFilter(data, queryset=Appeal.objects.none())
    if not form.is_valid():
        raise ValidationError({k: [str(e) for e in v] for k, v in form.errors.items()})
    params: dict[str, str] = {}
    cleaned = form.form.cleaned_data
    category = cleaned.get("category")
    if category is not None:
        params["category"] = str(int(category))
    statuses: tuple[str, ...] = ()
    if raw.get("status"):
        statuses = tuple(sorted({s.strip() for s in raw["status"].split(",") if s.strip()}))
        unknown = [s for s in statuses if s not in Status.values]
        if unknown:
            raise ValidationError({"status": [_("Неизвестный статус: {unknown}; допустимы: {allowed}").format(
                unknown=", ".join(unknown), allowed=", ".join(Status.values))]})
        params["status"] = ",".join(statuses)
    for key in ("agency", "district"):
        if cleaned.get(key) not in (None, ""):
            params[key] = str(cleaned[key] if key == "district" else int(cleaned[key]))
    for key in ("received_after", "received_before"):
        if cleaned.get(key) is not None:
            params[key] = whole_day(cleaned[key], up=key == "received_before").isoformat()
    if cleaned.get("overdue") is not None:
        params["overdue"] = "true" if cleaned["overdue"] else "false"
    start = end = None
    if raw.get("period"):
        start, end = parse_period(raw["period"], now)
        params["period"] = f"{start.isoformat() if start else ''}..{end.isoformat() if end else ''}"
    return TileFilters(params=params, category=int(category) if category is not None else None,
                       statuses=statuses, period_start=start, period_end=end)
