"""Writing :class:`~analytics.models.AnswerTimeHistogram`: the answer times of the appeals
counted per (local month received, district, category, agency, status, public) in log-scale
buckets, read by pivots with a median or a 90th percentile (:mod:`analytics.sql.histogram`).

Bucket ``b`` holds the answers whose ``1 + days`` lies in [R^b, R^(b+1)) with R =
:data:`BUCKET_RATIO`: a percentile interpolated inside its bucket is off by less than one bucket
width, at most (R − 1) × (1 + days), 5 % of (1 + days) — 0.55 days at a 10-day median, 1.6 days
at 30 days.

:func:`rebuild` runs inside ``tiles.aggregates.rebuild_all`` and :func:`refresh` inside
``tiles.aggregates.refresh_appeals`` (same transaction and advisory lock as the cell
aggregates): a changed appeal's month of its category is recounted from the appeals, exact
whatever changed (status, answer, agency, visibility, merge) as long as its received time and
category do not — ``issues.actions`` never changes either after submission.

:class:`~analytics.models.CoarseAnswerTimeHistogram` is summed from this table in the same
transaction: whole on a rebuild, the changed months on a refresh (a month's histogram rows are
one range of the (received_month, category) index)."""
from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from django.conf import settings

from issues.models import PUBLIC_STATUSES

from .facts import IN_SLICE, recount, rewrite
from .models import AnswerTimeHistogram, CoarseAnswerTimeHistogram
from .sql.common import DAYS_TO_ANSWER, HAS_ANSWER_TIME, public_clause
from .sql.histogram import BUCKET_RATIO, COARSE_SLICES, LN_RATIO, MAX_RELATIVE_ERROR

TABLE = AnswerTimeHistogram._meta.db_table
COARSE_TABLE = CoarseAnswerTimeHistogram._meta.db_table
__all__ = ["BUCKET_RATIO", "COARSE_TABLE", "MAX_RELATIVE_ERROR", "bucket_of", "rebuild", "refresh",
           "refresh_slices", "slices_of"]
MONTH = "date_trunc('month', a.received_at AT TIME ZONE %(tz)s) AT TIME ZONE %(tz)s"
BUCKET = (f"CASE WHEN {HAS_ANSWER_TIME} THEN floor(ln(1 + greatest({DAYS_TO_ANSWER}, 0)) / {LN_RATIO!r})::int "
          "ELSE -1 END")


def bucket_of(days: float) -> int:
    """The bucket of an answer time (as the SQL computes it)."""
    return math.floor(math.log(1 + max(days, 0.0)) / LN_RATIO)


def _insert(where: str) -> str:
    return (f"INSERT INTO {TABLE} (received_month, district_id, category_id, agency_id, status, public, bucket, "  # noqa: S608
            f"count) SELECT {MONTH}, a.district_id, a.category_id, a.responsible_agency_id, a.status, "
            f"{public_clause('a')}, {BUCKET}, count(*) FROM issues_appeal a WHERE {where} "
            "GROUP BY 1, 2, 3, 4, 5, 6, 7")


def _params() -> dict[str, Any]:
    return {"tz": settings.TIME_ZONE, "public_statuses": [str(s) for s in PUBLIC_STATUSES]}


def _coarse_insert(where: str) -> str:
    # one grouping set per slice of the coarse histogram (its name and its key column)
    sets = ", ".join(f"(received_month, {column}, public, bucket)" for column in COARSE_SLICES.values())
    sliced_by = " ".join(f"WHEN GROUPING({column}) = 0 THEN '{name}'" for name, column in COARSE_SLICES.items())
    return (f"INSERT INTO {COARSE_TABLE} (received_month, sliced_by, district_id, agency_id, category_id, public, "  # noqa: S608
            f"bucket, count) SELECT received_month, CASE {sliced_by} END, district_id, agency_id, category_id, public, "
            f"bucket, sum(count) FROM {TABLE} WHERE {where} GROUP BY GROUPING SETS ({sets})")


def rebuild(cursor: Any) -> int:
    """Rewrite the whole table from the appeals, and the coarse table from it (the caller holds
    the aggregates' lock and transaction); returns the row count."""
    rows = rewrite(cursor, TABLE, _insert("TRUE"), _params())
    rewrite(cursor, COARSE_TABLE, _coarse_insert("TRUE"), {})
    return rows


def slices_of(cursor: Any, appeal_ids: Iterable[int]) -> list[tuple[Any, int]]:
    """The (local month received, category) slices holding these appeals."""
    ids = sorted(set(appeal_ids))
    if not ids:
        return []
    cursor.execute(f"SELECT DISTINCT {MONTH}, a.category_id FROM issues_appeal a WHERE a.id = ANY(%(ids)s)",
                   {**_params(), "ids": ids})
    return list(cursor.fetchall())


def refresh_slices(cursor: Any, slices: Iterable[tuple[Any, int]]) -> None:
    """Recount these (month, category) slices. A slice is read from the covering
    (category, received_at) index alone: about 10,000 appeals a month in a category at ten
    million (a (month, district) slice read 400,000 rows of the month: 8.5 s)."""
    slices = list(slices)
    recount(cursor, TABLE, _insert(IN_SLICE), _params(), slices)
    for month in sorted({month for month, _category in slices}):
        cursor.execute(f"DELETE FROM {COARSE_TABLE} WHERE received_month = %(month)s", {"month": month})  # noqa: S608
        cursor.execute(_coarse_insert("received_month = %(month)s"), {"month": month})


def refresh(cursor: Any, appeal_ids: Iterable[int]) -> int:
    """Recount the (month, category) slices holding these appeals; returns how many."""
    slices = slices_of(cursor, appeal_ids)
    refresh_slices(cursor, slices)
    return len(slices)

