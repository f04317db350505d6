"""The pivot's metrics: one-phase aggregates over the appeals, and the two-phase form of the
additive ones (partial sums per cell, then sums of the partials)."""
from __future__ import annotations

from dataclasses import dataclass

from .common import DAYS_TO_ANSWER, DUE, HAS_ANSWER_TIME, IS_OPEN, ON_TIME, OVERDUE


@dataclass(frozen=True)
class MetricSQL:
    columns: tuple[tuple[str, str], ...]  # (output column, SQL)
    joins: tuple[str, ...] = ()
    ctes: tuple[str, ...] = ()


def _one(name: str, sql: str, joins: tuple[str, ...] = (), ctes: tuple[str, ...] = ()) -> MetricSQL:
    return MetricSQL(((name, sql),), joins, ctes)


def _share(condition: str) -> str:
    return f"(count(*) FILTER (WHERE {condition}))::float8 / NULLIF(count(*), 0)"


METRICS: dict[str, MetricSQL] = {
    "count": _one("count", "count(*)"),
    # the grand-total row always holds the largest count, so max() over all rows is the total
    "share": _one("share", "count(*)::float8 / NULLIF(max(count(*)) OVER (), 0)"),
    "answered": _one("answered", "count(*) FILTER (WHERE a.answered_at IS NOT NULL)"),
    "open": _one("open", f"count(*) FILTER (WHERE {IS_OPEN})"),
    "resolved_share": _one(
        "resolved_share",
        "(count(*) FILTER (WHERE a.answered_at IS NOT NULL AND a.result = ANY(%(resolved_results)s)))::float8"
        " / NULLIF(count(*) FILTER (WHERE a.answered_at IS NOT NULL), 0)"),
    "on_time_share": _one(
        "on_time_share",
        f"(count(*) FILTER (WHERE {ON_TIME}))::float8 / NULLIF(count(*) FILTER (WHERE {DUE}), 0)"),
    "overdue": _one("overdue", f"count(*) FILTER (WHERE {OVERDUE})"),
    "median_days": _one(
        "median_days",
        f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {DAYS_TO_ANSWER}) FILTER (WHERE {HAS_ANSWER_TIME})"),
    "p90_days": _one(
        "p90_days",
        f"percentile_cont(0.9) WITHIN GROUP (ORDER BY {DAYS_TO_ANSWER}) FILTER (WHERE {HAS_ANSWER_TIME})"),
    "redirects": _one("redirects", "COALESCE(sum(a.redirect_count), 0)"),
    "redirected": _one("redirected", "count(*) FILTER (WHERE a.redirect_count > 0)"),
    "redirect_share": _one("redirect_share", _share("a.redirect_count > 0")),
    "repeated": _one("repeated", "count(*) FILTER (WHERE a.kind = ANY(%(repeated_kinds)s))"),
    "repeated_share": _one("repeated_share", _share("a.kind = ANY(%(repeated_kinds)s)")),
    "reopened": _one("reopened", "count(*) FILTER (WHERE a.reopen_count > 0)"),
    "reopened_share": _one("reopened_share", _share("a.reopen_count > 0")),
    "rated": _one("rated", "count(r.id)", ("r",)),
    "satisfaction_avg": _one("satisfaction_avg", "avg(r.score)::float8", ("r",)),
    "satisfaction": MetricSQL(tuple((f"satisfaction_{n}", f"count(*) FILTER (WHERE r.score = {n})")
                                    for n in range(1, 6)), ("r",)),
    "solved_share": _one("solved_share", "avg(r.solved::int)::float8", ("r",)),
    "politeness_avg": _one("politeness_avg", "avg(r.politeness)::float8", ("r",)),
    "timeliness_avg": _one("timeliness_avg", "avg(r.timeliness)::float8", ("r",)),
    # per_1000 is completed in pivot_sql: it depends on whether the district is grouped
    "per_1000": MetricSQL((), ("d",), ("pop",)),
}


# --- two-phase form of the additive metrics -------------------------------------------------------
# A pivot whose metrics are all additive is computed in two phases inside the same statement:
# ``cells`` groups the appeals by the finest keys with a hash aggregate (partial sums below), then
# the cube (cells, row and column totals, grand total) sums the cells. This avoids sorting every
# appeal for each grouping set (3.5× faster at 1M appeals). Percentiles are not additive: a pivot
# asking for median_days/p90_days runs in one phase over the appeals.
PARTIALS: dict[str, str] = {
    "p_count": "count(*)",
    "p_answered": "count(*) FILTER (WHERE a.answered_at IS NOT NULL)",
    "p_open": f"count(*) FILTER (WHERE {IS_OPEN})",
    "p_resolved": "count(*) FILTER (WHERE a.answered_at IS NOT NULL AND a.result = ANY(%(resolved_results)s))",
    "p_on_time": f"count(*) FILTER (WHERE {ON_TIME})",
    "p_due": f"count(*) FILTER (WHERE {DUE})",
    "p_overdue": f"count(*) FILTER (WHERE {OVERDUE})",
    "p_redirects": "COALESCE(sum(a.redirect_count), 0)",
    "p_redirected": "count(*) FILTER (WHERE a.redirect_count > 0)",
    "p_repeated": "count(*) FILTER (WHERE a.kind = ANY(%(repeated_kinds)s))",
    "p_reopened": "count(*) FILTER (WHERE a.reopen_count > 0)",
    "p_rated": "count(r.id)",
    "p_score_sum": "sum(r.score)",
    "p_solved": "count(*) FILTER (WHERE r.solved)",
    "p_politeness_sum": "sum(r.politeness)",
    "p_politeness_n": "count(r.politeness)",
    "p_timeliness_sum": "sum(r.timeliness)",
    "p_timeliness_n": "count(r.timeliness)",
    "p_with_district": "count(a.district_id)",
    **{f"p_score_{n}": f"count(*) FILTER (WHERE r.score = {n})" for n in range(1, 6)},
}


def _sum(partial: str) -> str:
    return f"sum({partial})::bigint"


def _ratio(part: str, whole: str) -> str:
    return f"sum({part})::float8 / NULLIF(sum({whole}), 0)"


# metric -> its output columns over the partial sums (per_1000 is completed in pivot_sql)
FINALS: dict[str, tuple[tuple[str, str], ...]] = {
    "count": (("count", _sum("p_count")),),
    "share": (("share", "sum(p_count)::float8 / NULLIF(max(sum(p_count)) OVER (), 0)"),),
    "answered": (("answered", _sum("p_answered")),),
    "open": (("open", _sum("p_open")),),
    "resolved_share": (("resolved_share", _ratio("p_resolved", "p_answered")),),
    "on_time_share": (("on_time_share", _ratio("p_on_time", "p_due")),),
    "overdue": (("overdue", _sum("p_overdue")),),
    "redirects": (("redirects", _sum("p_redirects")),),
    "redirected": (("redirected", _sum("p_redirected")),),
    "redirect_share": (("redirect_share", _ratio("p_redirected", "p_count")),),
    "repeated": (("repeated", _sum("p_repeated")),),
    "repeated_share": (("repeated_share", _ratio("p_repeated", "p_count")),),
    "reopened": (("reopened", _sum("p_reopened")),),
    "reopened_share": (("reopened_share", _ratio("p_reopened", "p_count")),),
    "rated": (("rated", _sum("p_rated")),),
    "satisfaction_avg": (("satisfaction_avg", _ratio("p_score_sum", "p_rated")),),
    "satisfaction": tuple((f"satisfaction_{n}", _sum(f"p_score_{n}")) for n in range(1, 6)),
    "solved_share": (("solved_share", _ratio("p_solved", "p_rated")),),
    "politeness_avg": (("politeness_avg", _ratio("p_politeness_sum", "p_politeness_n")),),
    "timeliness_avg": (("timeliness_avg", _ratio("p_timeliness_sum", "p_timeliness_n")),),
    "per_1000": (),
}
NON_ADDITIVE = frozenset(set(METRICS) - set(FINALS))  # median_days, p90_days
