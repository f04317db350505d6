"""Running a pivot: one statement from analytics.sql, shaped into flat records.

Each record has ``level`` — ``cell`` (rows × cols), ``row`` (row total over all columns),
``col`` (column total over all rows) or ``total`` — then for each dimension its key and
``<dim>_label``, then the metric columns. Without column dimensions the rows are ``row`` records
and the last one is the ``total``."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.translation import gettext, gettext_lazy
from rest_framework.exceptions import ValidationError

from geoportal.i18n import english_page
from geoportal.replica import read_connection as connection  # lag-tolerant reads: the replica if set

from . import catalog, facts, sql
from .params import PivotSpec

ROUND = {"share": 4, "on_time_share": 4, "resolved_share": 4, "redirect_share": 4, "repeated_share": 4,
         "reopened_share": 4, "solved_share": 4, "median_days": 2, "p90_days": 2, "satisfaction_avg": 2,
         "politeness_avg": 2, "timeliness_avg": 2, "per_1000": 4}
NO_VALUE = gettext_lazy("не указано")


@dataclass
class PivotResult:
    rows: list[str]
    cols: list[str]
    metrics: list[str]
    columns: list[str]  # metric output columns in order
    scope: str
    records: list[dict[str, Any]] = field(default_factory=list)
    approximate: bool = False  # percentiles from the answer-time histograms (analytics.histograms)

    @property
    def total(self) -> dict[str, Any]:
        return next(r for r in self.records if r["level"] == "total")

    def as_dict(self, filters: dict[str, Any] | None = None) -> dict[str, Any]:
        return {"rows": self.rows, "cols": self.cols, "metrics": self.metrics, "columns": self.columns,
                "scope": self.scope, "filters": filters or {}, "approximate": self.approximate,
                "results": self.records}


def metric_columns(metrics: list[str]) -> list[str]:
    return [column for name in metrics for column in catalog.METRIC_COLUMNS[name]]


def _label(dim: str, key: Any, label: Any) -> str:
    if key is None:
        return str(NO_VALUE)
    if label is not None:
        return str(label)
    choices = catalog.CHOICE_LABELS.get(dim)
    if choices is not None:
        return str(choices.get(key, key))
    return str(key)


def _fetch(cursor: Any, built: sql.Built) -> tuple[list[str], list[tuple[Any, ...]]]:
    cursor.execute(built.sql, built.params)
    if cursor.rowcount > settings.STATS_MAX_ROWS:
        # several dimensions of fine grain multiply into a table nobody reads (and an XLSX
        # built in memory): refused with the way out instead
        raise ValidationError({"rows": gettext(
            "Таблица получилась бы из {count} строк (не более {limit}): уберите измерение или сузьте "
            "период и фильтры.").format(count=cursor.rowcount, limit=settings.STATS_MAX_ROWS)})
    return [c.name for c in cursor.description], cursor.fetchall()


def _merge(spec: PivotSpec, base: tuple[list[str], list[tuple[Any, ...]]],
           extra: tuple[list[str], list[tuple[Any, ...]]], columns: list[str]) -> list[dict[str, Any]]:
    """The rows of ``base`` with ``columns`` taken from the row of ``extra`` with the same
    keys (both statements group the same appeals by the same keys)."""
    keys = ["g_rows", "g_cols", *spec.rows, *spec.cols]
    found = {tuple(row[k] for k in keys): row for row in (dict(zip(extra[0], r, strict=True)) for r in extra[1])}
    merged = []
    for raw in base[1]:
        row = dict(zip(base[0], raw, strict=True))
        other = found.get(tuple(row[k] for k in keys), {})
        row.update({column: other.get(column) for column in columns})
        merged.append(row)
    return merged


def _execute(spec: PivotSpec, *, public: bool, now: dt.datetime, two_phase: bool | None,
             exact: bool) -> tuple[list[dict[str, Any]], bool]:
    """The pivot's rows, and whether its percentiles are approximate. Over the pre-aggregated
    facts and histograms (:mod:`analytics.facts`, :mod:`analytics.histograms`) where they hold
    every dimension and filter — the additive metrics exact from the facts, medians and
    percentiles from the histograms — else over the appeals (and always with ``two_phase`` or
    ``exact``)."""
    tz = settings.TIME_ZONE
    options: dict[str, Any] = {"public": public, "now": now, "tz": tz, "english": english_page()}
    percentiles = [m for m in spec.metrics if m in sql.NON_ADDITIVE]
    additive = [m for m in spec.metrics if m not in sql.NON_ADDITIVE]
    with connection.cursor() as cursor:
        aggregated = (two_phase is None and exact is False
                      and sql.facts_serve(spec.rows, spec.cols, additive, spec.filters, tz)
                      and facts.populated(cursor))
        if not aggregated:
            names, fetched = _fetch(cursor, sql.pivot_sql(spec.rows, spec.cols, spec.metrics, spec.filters,
                                                          two_phase=two_phase, **options))
            return [dict(zip(names, r, strict=True)) for r in fetched], False
        hist = _fetch(cursor, sql.histogram_pivot_sql(spec.rows, spec.cols, percentiles, spec.filters,
                                                      **options)) if percentiles else None
        if not additive:
            assert hist is not None
            return [dict(zip(hist[0], r, strict=True)) for r in hist[1]], True
        counted = _fetch(cursor, sql.pivot_sql(spec.rows, spec.cols, additive, spec.filters, facts=True, **options))
    if hist is None:
        return [dict(zip(counted[0], r, strict=True)) for r in counted[1]], False
    return _merge(spec, counted, hist, metric_columns(percentiles)), True


def run_pivot(spec: PivotSpec, *, public: bool, now: dt.datetime | None = None,
              two_phase: bool | None = None, exact: bool = False) -> PivotResult:
    """Execute the pivot (one or two statements, see :func:`_execute`) and shape the records.
    ``two_phase``: see analytics.sql.pivot_sql (None chooses). Medians and percentiles come
    from the answer-time histograms (approximate, see analytics.sql.histogram) where they serve
    the pivot, unless ``exact``."""
    from django.utils import timezone

    rows, approximate = _execute(spec, public=public, now=now or timezone.now(), two_phase=two_phase, exact=exact)
    columns = metric_columns(spec.metrics)
    result = PivotResult(spec.rows, spec.cols, spec.metrics, columns, "public" if public else "all",
                         approximate=approximate)
    missing: list[str] = []
    for row in rows:
        missing = row["missing_filters"] or missing
        rolled_rows, rolled_cols = bool(row["g_rows"]) and bool(spec.rows), bool(row["g_cols"]) and bool(spec.cols)
        if spec.rows and spec.cols:
            level = {(False, False): "cell", (False, True): "row", (True, False): "col", (True, True): "total"}[
                (rolled_rows, rolled_cols)]
        elif spec.rows or spec.cols:
            level = "total" if (rolled_rows or rolled_cols) else "row"
        else:
            level = "total"
        record: dict[str, Any] = {"level": level}
        for dim in [*spec.rows, *spec.cols]:
            rolled = rolled_rows if dim in spec.rows else rolled_cols
            key = None if rolled else row[dim]
            record[dim] = key
            record[f"{dim}_label"] = None if rolled else _label(dim, key, row.get(f"{dim}__label"))
        for column in columns:
            value = row[column]
            if isinstance(value, float):
                value = round(value, ROUND.get(column, 4))
            elif value is not None and not isinstance(value, int):
                value = round(float(value), ROUND.get(column, 4))
            record[column] = value
        result.records.append(record)
    if missing:
        raise ValidationError({name: gettext("Не найдено.") for name in missing})
    return result
