"""The pivot's additive metrics over the appeal facts (:mod:`analytics.facts`): the same
two-phase statement as over the appeals (:func:`analytics.sql.cube.pivot_sql`), whose per-cell
partial sums are summed from the fact rows instead of counted from the appeals. Exact: every
partial is a sum of the facts' exact counts; the one that moves with the clock (open appeals
past their deadline) compares the rows' pending deadline with the statement's ``now``.

The facts hold a month, district, category, agency, status and visibility per row, so they
serve only pivots whose dimensions and filters are among those (:func:`facts_serve`) over whole
local months."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from .common import Filters
from .metrics import FINALS

TABLE = "analytics_appealfact"
FACT_DIMENSIONS = frozenset({"district", "agency", "agency_l1", "agency_l2", "category", "category_l1",
                             "classifier_section", "status", "month", "quarter", "year"})
SUM_COLUMNS = ("count", "answered", "on_time", "late", "resolved", "redirects", "redirected", "repeated", "reopened",
               "rated", "score_sum", *(f"score_{n}" for n in range(1, 6)), "solved", "politeness_sum",
               "politeness_n", "timeliness_sum", "timeliness_n")
_OVERDUE_PENDING = "COALESCE(sum(a.count) FILTER (WHERE a.pending_deadline < %(now)s), 0)"


def _sum(column: str) -> str:
    return f"COALESCE(sum(a.{column}), 0)"


# the partials of analytics.sql.metrics.PARTIALS over the fact rows ``a``
FACT_PARTIALS: dict[str, str] = {
    "p_count": _sum("count"),
    "p_answered": _sum("answered"),
    "p_open": "COALESCE(sum(a.count) FILTER (WHERE a.status = ANY(%(open_statuses)s)), 0)",
    "p_resolved": _sum("resolved"),
    "p_on_time": _sum("on_time"),
    "p_due": f"{_sum('on_time')} + {_sum('late')} + {_OVERDUE_PENDING}",
    "p_overdue": f"{_sum('late')} + {_OVERDUE_PENDING}",
    "p_redirects": _sum("redirects"),
    "p_redirected": _sum("redirected"),
    "p_repeated": _sum("repeated"),
    "p_reopened": _sum("reopened"),
    "p_rated": _sum("rated"),
    # NULL without ratings, as sum(r.score) over the appeals
    "p_score_sum": "sum(a.score_sum) FILTER (WHERE a.rated > 0)",
    "p_solved": _sum("solved"),
    "p_politeness_sum": "sum(a.politeness_sum) FILTER (WHERE a.politeness_n > 0)",
    "p_politeness_n": _sum("politeness_n"),
    "p_timeliness_sum": "sum(a.timeliness_sum) FILTER (WHERE a.timeliness_n > 0)",
    "p_timeliness_n": _sum("timeliness_n"),
    "p_with_district": "COALESCE(sum(a.count) FILTER (WHERE a.district_id IS NOT NULL), 0)",
    **{f"p_score_{n}": _sum(f"score_{n}") for n in range(1, 6)},
}
FACT_METRICS = frozenset(FINALS)


def _whole_month(value: dt.datetime | None, tz: str) -> bool:
    if value is None:
        return True
    local = value.astimezone(ZoneInfo(tz))
    return local.day == 1 and local.time() == dt.time()


def filters_on_facts(filters: Filters, tz: str) -> bool:
    """Whether every filter is one the facts (and the histograms) hold: district, category,
    agency, status, classifier section and whole local months received."""
    return (not (filters.channel or filters.kind or filters.appeal_type or filters.result)
            and filters.bbox is None and filters.overdue is None
            and _whole_month(filters.received_from, tz) and _whole_month(filters.received_to, tz))


def facts_serve(rows: list[str], cols: list[str], metrics: list[str], filters: Filters, tz: str) -> bool:
    """Whether the facts answer the additive part of this pivot (``metrics`` without the
    percentiles, which the histograms answer)."""
    return (set(metrics) <= FACT_METRICS and set(rows) | set(cols) <= FACT_DIMENSIONS
            and filters_on_facts(filters, tz))


def facts_source(public: bool) -> str:
    """The fact rows under the appeal columns' names the shared filters, dimensions and joins
    read (``a.received_at`` is the month's first local midnight)."""
    sums = "".join(f", f.{column}" for column in SUM_COLUMNS)
    return (f"FROM (SELECT f.received_month AS received_at, f.district_id, f.category_id, "
            f"f.agency_id AS responsible_agency_id, f.status, f.pending_deadline{sums} FROM {TABLE} f"
            f"{' WHERE f.public' if public else ''}) a")
