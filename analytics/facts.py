"""Writing :class:`~analytics.models.AppealFact`: the appeals counted per (local month received,
district, category, agency, status, public, pending deadline) with the sums behind every
additive metric of the pivots (:mod:`analytics.sql.facts` reads them).

Written beside the answer-time histograms and the same way (:mod:`analytics.histograms`):
:func:`rebuild` inside ``tiles.aggregates.rebuild_all``, :func:`refresh` inside
``tiles.aggregates.refresh_appeals`` (same transaction and advisory lock), a changed appeal's
month of its category recounted from the appeals — exact whatever changed, as long as its
received time and category do not (``issues.actions`` never changes either after submission).

Only one condition of the metrics moves with the clock: an open appeal without an answer
becomes overdue when its deadline passes. Those appeals keep their deadline in
``pending_deadline`` (1970-01-01 when it had already passed at writing, by the statistics' clock
``timezone.now()``: a passed deadline stays passed, and fewer distinct keys mean fewer rows), so
the reading statement compares it with its own ``now``."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.utils import timezone

from issues.models import OPEN_STATUSES, PUBLIC_STATUSES

from .models import AppealFact
from .sql.common import IS_OPEN, REPEATED_KINDS, RESOLVED_RESULTS, public_clause

TABLE = AppealFact._meta.db_table
MONTH = "date_trunc('month', a.received_at AT TIME ZONE %(tz)s) AT TIME ZONE %(tz)s"
PENDING = (f"CASE WHEN {IS_OPEN} AND a.answered_at IS NULL AND a.deadline_at IS NOT NULL THEN "
           "CASE WHEN a.deadline_at < %(now)s THEN 'epoch'::timestamptz ELSE a.deadline_at END END")
# column -> its value over the appeals ``a`` of a group and their ratings ``r``
SUMS: dict[str, str] = {
    "count": "count(*)",
    "answered": "count(a.answered_at)",
    "on_time": "count(*) FILTER (WHERE a.answered_at <= a.deadline_at)",
    "late": "count(*) FILTER (WHERE a.answered_at > a.deadline_at)",
    "resolved": "count(*) FILTER (WHERE a.answered_at IS NOT NULL AND a.result = ANY(%(resolved_results)s))",
    "redirects": "COALESCE(sum(a.redirect_count), 0)",
    "redirected": "count(*) FILTER (WHERE a.redirect_count > 0)",
    "repeated": "count(*) FILTER (WHERE a.kind = ANY(%(repeated_kinds)s))",
    "reopened": "count(*) FILTER (WHERE a.reopen_count > 0)",
    "rated": "count(r.appeal_id)",
    "score_sum": "COALESCE(sum(r.score), 0)",
    **{f"score_{n}": f"count(*) FILTER (WHERE r.score = {n})" for n in range(1, 6)},
    "solved": "count(*) FILTER (WHERE r.solved)",
    "politeness_sum": "COALESCE(sum(r.politeness), 0)",
    "politeness_n": "count(r.politeness)",
    "timeliness_sum": "COALESCE(sum(r.timeliness), 0)",
    "timeliness_n": "count(r.timeliness)",
}
KEYS = "received_month, district_id, category_id, agency_id, status, public, pending_deadline"


def _insert(where: str) -> str:
    return (f"INSERT INTO {TABLE} ({KEYS}, {', '.join(SUMS)}) "  # noqa: S608
            f"SELECT {MONTH}, a.district_id, a.category_id, a.responsible_agency_id, a.status, "
            f"{public_clause('a')}, {PENDING}, {', '.join(SUMS.values())} "
            "FROM issues_appeal a LEFT JOIN issues_rating r ON r.appeal_id = a.id "
            f"WHERE {where} GROUP BY 1, 2, 3, 4, 5, 6, 7")


def _params() -> dict[str, Any]:
    return {"tz": settings.TIME_ZONE, "now": timezone.now(), "public_statuses": [str(s) for s in PUBLIC_STATUSES],
            "open_statuses": [str(s) for s in OPEN_STATUSES], "resolved_results": RESOLVED_RESULTS,
            "repeated_kinds": REPEATED_KINDS}


def rewrite(cursor: Any, table: str, insert: str, params: dict[str, Any]) -> int:
    """Rewrite a derived table whole with ``insert`` (the caller holds the aggregates' lock and
    transaction); returns the row count."""
    cursor.execute(f"DELETE FROM {table}")  # noqa: S608
    cursor.execute(insert, params)
    cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
    rows = int(cursor.fetchone()[0])
    cursor.execute(f"ANALYZE {table}")
    return rows


def recount(cursor: Any, table: str, insert: str, params: dict[str, Any], slices: Iterable[tuple[Any, int]]) -> None:
    """Recount these (month, category) slices of a derived table: ``insert`` reads the appeals
    of :data:`IN_SLICE` (from the covering index ``appeal_category_received`` alone)."""
    for month, category in slices:
        values = {**params, "month": month, "category": category}
        cursor.execute(f"DELETE FROM {table} WHERE received_month = %(month)s AND category_id = %(category)s",  # noqa: S608
                       values)
        cursor.execute(insert, values)


def rebuild(cursor: Any) -> int:
    """Rewrite the whole table from the appeals; returns the row count."""
    return rewrite(cursor, TABLE, _insert("TRUE"), _params())


def refresh_slices(cursor: Any, slices: Iterable[tuple[Any, int]]) -> None:
    """Recount these (month, category) slices (see :func:`analytics.histograms.slices_of`)."""
    recount(cursor, TABLE, _insert(IN_SLICE), _params(), slices)


# the appeals of one (month, category) slice, read by the (category, received_at) index
IN_SLICE = ("a.category_id = %(category)s AND a.received_at >= %(month)s AND a.received_at < "
            "((%(month)s AT TIME ZONE %(tz)s) + interval '1 month') AT TIME ZONE %(tz)s")


def populated(cursor: Any) -> bool:
    """Whether a rebuild has filled the table (before the first one, the pivots read the appeals)."""
    cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {TABLE})")  # noqa: S608
    return bool(cursor.fetchone()[0])
