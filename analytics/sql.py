"""Every SQL statement of the analytics app lives here.

The pivot is built from small named fragments: a dimension is a key expression (what rows are
grouped by), a label expression and the joins it needs; a metric is an aggregate expression and
the joins it needs. One statement per request: filters, joins, ``GROUP BY CUBE`` over the row
and column dimension sets (cells, row totals, column totals, the grand total) and window
functions for shares. Values are bound as named parameters, never formatted into the text; only
names from the fixed catalogues below are spliced in.

Time dimensions and periods use the portal's time zone (``settings.TIME_ZONE``)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from issues.models import OPEN_STATUSES, PUBLIC_STATUSES, Kind, Result

Params = dict[str, Any]

OPEN = [str(s) for s in OPEN_STATUSES]
PUBLIC = [str(s) for s in PUBLIC_STATUSES]
REPEATED_KINDS = [str(Kind.REPEATED), str(Kind.COLLECTIVE_REPEATED)]
RESOLVED_RESULTS = [str(Result.SUPPORTED), str(Result.MEASURES_TAKEN)]

# --- shared table expressions ------------------------------------------------------------------
# name -> SQL of a CTE. Each lists ids with their root and (for categories) the classifier
# section inherited from the nearest ancestor that has a code, like Category.classifier_section.
CTES: dict[str, str] = {
    "cat_tree": """cat_tree AS (
        SELECT id, ARRAY[id] AS path, NULLIF(left(classifier_code, 4), '') AS section
          FROM issues_category WHERE parent_id IS NULL
        UNION ALL
        SELECT c.id, t.path || c.id, COALESCE(NULLIF(left(c.classifier_code, 4), ''), t.section)
          FROM issues_category c JOIN cat_tree t ON c.parent_id = t.id
    )""",
    "agency_tree": """agency_tree AS (
        SELECT id, ARRAY[id] AS path FROM geoportal_agency WHERE parent_id IS NULL
        UNION ALL
        SELECT g.id, t.path || g.id FROM geoportal_agency g JOIN agency_tree t ON g.parent_id = t.id
    )""",
    "category_filter": """category_filter AS (
        SELECT id FROM issues_category WHERE id = %(category)s
        UNION ALL
        SELECT c.id FROM issues_category c JOIN category_filter f ON c.parent_id = f.id
    )""",
    "agency_filter": """agency_filter AS (
        SELECT id FROM geoportal_agency WHERE id = %(agency)s
        UNION ALL
        SELECT g.id FROM geoportal_agency g JOIN agency_filter f ON g.parent_id = f.id
    )""",
    "pop": """pop AS (
        SELECT COALESCE(sum(population), 0)::float8 AS total FROM geoportal_district
         WHERE %(district)s::text IS NULL OR code = %(district)s::text
    )""",
}
# CTEs a CTE reads
CTE_NEEDS: dict[str, tuple[str, ...]] = {}

# join name -> (SQL, CTEs it reads, joins it needs first)
JOINS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "d": ("LEFT JOIN geoportal_district d ON d.id = a.district_id", (), ()),
    "ag": ("LEFT JOIN geoportal_agency ag ON ag.id = a.responsible_agency_id", (), ()),
    "at": ("LEFT JOIN agency_tree at ON at.id = a.responsible_agency_id", ("agency_tree",), ()),
    "ag1": ("LEFT JOIN geoportal_agency ag1 ON ag1.id = at.path[1]", (), ("at",)),
    "ag2": ("LEFT JOIN geoportal_agency ag2 ON ag2.id = COALESCE(at.path[2], at.path[1])", (), ("at",)),
    "c": ("JOIN issues_category c ON c.id = a.category_id", (), ()),
    "ct": ("JOIN cat_tree ct ON ct.id = a.category_id", ("cat_tree",), ()),
    "c1": ("JOIN issues_category c1 ON c1.id = ct.path[1]", (), ("ct",)),
    "r": ("LEFT JOIN issues_rating r ON r.appeal_id = a.id", (), ()),
}
JOIN_ORDER = ("d", "ag", "at", "ag1", "ag2", "c", "ct", "c1", "r")


def category_name(alias: str, *, english: bool) -> str:
    """A category's name in the page's language: on English pages its English name where it has
    one (a fixed fragment, spliced like the others; the register's Russian name otherwise)."""
    return f"COALESCE(NULLIF({alias}.name_en, ''), {alias}.name)" if english else f"{alias}.name"


@dataclass(frozen=True)
class DimSQL:
    key: str  # grouped expression
    label: str | None  # grouped label expression (None: labelled in Python from choices)
    joins: tuple[str, ...] = ()
    time_format: str | None = None  # to_char() format of a truncated timestamp
    english_label: str | None = None  # the label expression on English pages, when it differs


def _time(unit: str, fmt: str) -> DimSQL:
    return DimSQL(f"date_trunc('{unit}', a.received_at AT TIME ZONE %(tz)s)", None, (), fmt)


DIMENSIONS: dict[str, DimSQL] = {
    "district": DimSQL("a.district_id", "d.name", ("d",)),
    "agency": DimSQL("a.responsible_agency_id", "ag.short_name", ("ag",)),
    "agency_l1": DimSQL("ag1.id", "ag1.short_name", ("ag1",)),
    "agency_l2": DimSQL("ag2.id", "ag2.short_name", ("ag2",)),
    "category": DimSQL("a.category_id", "c.name", ("c",), english_label=category_name("c", english=True)),
    "category_l1": DimSQL("c1.id", "c1.name", ("c1",), english_label=category_name("c1", english=True)),
    "classifier_section": DimSQL("ct.section", None, ("ct",)),
    "channel": DimSQL("a.channel", None),
    "status": DimSQL("a.status", None),
    "result": DimSQL("NULLIF(a.result, '')", None),
    "kind": DimSQL("a.kind", None),
    "type": DimSQL("a.appeal_type", None),
    "day": _time("day", "YYYY-MM-DD"),
    "week": _time("week", 'IYYY-"W"IW'),
    "month": _time("month", "YYYY-MM"),
    "quarter": _time("quarter", 'YYYY-"Q"Q'),
    "year": _time("year", "YYYY"),
}

# Conditions reused by metrics and filters (``%(now)s`` is the request's clock).
IS_OPEN = "a.status = ANY(%(open_statuses)s)"
DUE = ("a.deadline_at IS NOT NULL AND (a.answered_at IS NOT NULL "
       f"OR ({IS_OPEN} AND a.deadline_at < %(now)s))")
ON_TIME = "a.answered_at IS NOT NULL AND a.answered_at <= a.deadline_at"
OVERDUE = (f"a.deadline_at IS NOT NULL AND ((a.answered_at IS NULL AND {IS_OPEN} AND a.deadline_at < %(now)s) "
           "OR a.answered_at > a.deadline_at)")
DAYS_TO_ANSWER = "extract(epoch FROM a.answered_at - a.registered_at) / 86400.0"
HAS_ANSWER_TIME = "a.answered_at IS NOT NULL AND a.registered_at IS NOT NULL"


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


@dataclass
class Filters:
    """Validated filter values (see analytics.params); None means "not filtered"."""

    received_from: Any = None  # aware datetime, inclusive
    received_to: Any = None  # aware datetime, exclusive
    district: str | None = None
    category: int | None = None
    agency: int | None = None
    status: tuple[str, ...] = ()
    channel: tuple[str, ...] = ()
    kind: tuple[str, ...] = ()
    appeal_type: tuple[str, ...] = ()
    result: tuple[str, ...] = ()
    classifier_section: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    overdue: bool | None = None


@dataclass
class Built:
    sql: str
    params: Params
    key_columns: list[str] = field(default_factory=list)


def _where(filters: Filters, public: bool, params: Params) -> tuple[list[str], set[str], set[str]]:
    """WHERE conditions, and the CTEs and joins they need."""
    where: list[str] = []
    ctes: set[str] = set()
    joins: set[str] = set()
    if public:
        # Appeal.objects.public(): published, in a public status, not merged into another
        where.append("a.is_public AND a.status = ANY(%(public_statuses)s) AND a.duplicate_of_id IS NULL")
    if filters.received_from is not None:
        where.append("a.received_at >= %(received_from)s")
        params["received_from"] = filters.received_from
    if filters.received_to is not None:
        where.append("a.received_at < %(received_to)s")
        params["received_to"] = filters.received_to
    if filters.district is not None:
        where.append("a.district_id = (SELECT id FROM geoportal_district WHERE code = %(district)s::text)")
    if filters.category is not None:
        where.append("a.category_id IN (SELECT id FROM category_filter)")
        ctes.add("category_filter")
    if filters.agency is not None:
        where.append("a.responsible_agency_id IN (SELECT id FROM agency_filter)")
        ctes.add("agency_filter")
    for name, column in (("status", "a.status"), ("channel", "a.channel"), ("kind", "a.kind"),
                         ("appeal_type", "a.appeal_type"), ("result", "a.result")):
        values = getattr(filters, name)
        if values:
            where.append(f"{column} = ANY(%(f_{name})s)")
            params[f"f_{name}"] = list(values)
    if filters.classifier_section is not None:
        where.append("ct.section = %(classifier_section)s")
        params["classifier_section"] = filters.classifier_section
        joins.add("ct")
    if filters.bbox is not None:
        where.append("a.location && ST_MakeEnvelope(%(bbox_w)s, %(bbox_s)s, %(bbox_e)s, %(bbox_n)s, 4326) "
                     "AND ST_Intersects(a.location, ST_MakeEnvelope(%(bbox_w)s, %(bbox_s)s, %(bbox_e)s, "
                     "%(bbox_n)s, 4326))")
        params.update(zip(("bbox_w", "bbox_s", "bbox_e", "bbox_n"), filters.bbox, strict=True))
    if filters.overdue is not None:
        cond = f"({IS_OPEN} AND a.deadline_at < %(now)s)"
        where.append(cond if filters.overdue else f"NOT {cond}")
    return where, ctes, joins


def _base_params(filters: Filters, now: Any, tz: str) -> Params:
    return {
        "now": now, "tz": tz, "open_statuses": OPEN, "public_statuses": PUBLIC,
        "repeated_kinds": REPEATED_KINDS, "resolved_results": RESOLVED_RESULTS,
        "district": filters.district, "category": filters.category, "agency": filters.agency,
    }


def _missing_check(filters: Filters) -> str:
    """A constant column naming filters whose target does not exist (a 400 in the view),
    evaluated once inside the same statement."""
    parts = []
    if filters.district is not None:
        parts.append("CASE WHEN NOT EXISTS (SELECT 1 FROM geoportal_district WHERE code = %(district)s::text) "
                     "THEN 'district' END")
    if filters.category is not None:
        parts.append("CASE WHEN NOT EXISTS (SELECT 1 FROM issues_category WHERE id = %(category)s) "
                     "THEN 'category' END")
    if filters.agency is not None:
        parts.append("CASE WHEN NOT EXISTS (SELECT 1 FROM geoportal_agency WHERE id = %(agency)s) "
                     "THEN 'agency' END")
    if not parts:
        return "ARRAY[]::text[]"
    return f"array_remove(ARRAY[{', '.join(parts)}]::text[], NULL)"


def _assemble_joins(wanted: set[str]) -> tuple[list[str], set[str]]:
    closure: set[str] = set()

    def add(name: str) -> None:
        if name in closure:
            return
        for dep in JOINS[name][2]:
            add(dep)
        closure.add(name)

    for name in wanted:
        add(name)
    ctes = {cte for name in closure for cte in JOINS[name][1]}
    return [JOINS[name][0] for name in JOIN_ORDER if name in closure], ctes


def _with(ctes: set[str]) -> str:
    order = ["cat_tree", "agency_tree", "category_filter", "agency_filter", "pop"]
    used = [CTES[name] for name in order if name in ctes]
    return ("WITH RECURSIVE " + ",\n".join(used) + "\n") if used else ""


def pivot_sql(rows: list[str], cols: list[str], metrics: list[str], filters: Filters, *, public: bool,
              now: Any, tz: str, two_phase: bool | None = None, english: bool = False) -> Built:
    """The pivot statement. Output columns: ``g_rows``, ``g_cols`` (1 where that side is rolled
    up), for each dimension ``<dim>`` and ``<dim>__label``, the metric columns, and
    ``missing_filters``.

    ``two_phase`` (default: whenever there is a dimension and every metric is additive) sums
    per-cell partials instead of aggregating the appeals once per grouping set; both forms give
    the same figures (tests compare them). ``english``: category labels in English (see
    category_name)."""
    if two_phase is None:
        two_phase = bool(rows or cols) and not NON_ADDITIVE & set(metrics)
    if two_phase and NON_ADDITIVE & set(metrics):
        raise ValueError(f"not additive: {sorted(NON_ADDITIVE & set(metrics))}")
    params = _base_params(filters, now, tz)
    where, ctes, joins = _where(filters, public, params)
    # key expressions over the appeals, per side, and how the grouped query refers to them
    row_keys: list[str] = []
    col_keys: list[str] = []
    outputs: list[tuple[str, str, str | None]] = []  # (key expression, output name, time format)
    for side, dims in ((row_keys, rows), (col_keys, cols)):
        for name in dims:
            dim = DIMENSIONS[name]
            joins.update(dim.joins)
            side.append(dim.key)
            outputs.append((dim.key, name, dim.time_format))
            label = dim.english_label if english and dim.english_label else dim.label
            if label is not None:
                side.append(label)
                outputs.append((label, f"{name}__label", None))
    keys = [*row_keys, *col_keys]
    ref = {expr: (f"k{i}" if two_phase else expr) for i, expr in enumerate(keys)}
    district_grouped = "district" in rows or "district" in cols
    partials: dict[str, str] = {}
    select = [f"to_char({ref[expr]}, '{fmt}') AS {name}" if fmt else f"{ref[expr]} AS {name}"
              for expr, name, fmt in outputs]
    select.append(f"GROUPING({ref[row_keys[0]]}) AS g_rows" if row_keys else "1 AS g_rows")
    select.append(f"GROUPING({ref[col_keys[0]]}) AS g_cols" if col_keys else "1 AS g_cols")
    for name in metrics:
        metric = METRICS[name]
        joins.update(metric.joins)
        ctes.update(metric.ctes)
        if name == "per_1000":
            population = "(SELECT total FROM pop)"
            if two_phase:
                partials["p_with_district"] = PARTIALS["p_with_district"]
                partials["p_population"] = "max(d.population)"
                with_district, district_population = "sum(p_with_district)", "max(p_population)"
            else:
                with_district, district_population = "count(a.district_id)", "max(d.population)"
            if district_grouped:
                population = (f"CASE WHEN GROUPING({ref['a.district_id']}) = 0 THEN {district_population}::float8 "
                              f"ELSE {population} END")
            select.append(f"{with_district} * 1000.0 / NULLIF({population}, 0) AS per_1000")
            continue
        if two_phase:
            for column, final in FINALS[name]:
                partials.update({p: PARTIALS[p] for p in re.findall(r"\bp_\w+", final)})
                select.append(f"{final} AS {column}")
        else:
            select.extend(f"{sql} AS {column}" for column, sql in metric.columns)
    select.append(f"{_missing_check(filters)} AS missing_filters")
    join_sql, join_ctes = _assemble_joins(joins)
    ctes.update(join_ctes)
    sets = []
    if row_keys:
        sets.append(f"({', '.join(ref[k] for k in row_keys)})")
    if col_keys:
        sets.append(f"({', '.join(ref[k] for k in col_keys)})")
    group_by = f"GROUP BY CUBE ({', '.join(sets)})" if sets else ""
    order = ", ".join(["g_rows", *[f"{ref[k]} NULLS LAST" for k in row_keys], "g_cols",
                       *[f"{ref[k]} NULLS LAST" for k in col_keys]])
    source = "FROM issues_appeal a\n  " + "\n  ".join(join_sql) + (f"\n WHERE {' AND '.join(where)}" if where else "")
    if not two_phase:
        sql = f"{_with(ctes)}SELECT {', '.join(select)}\n  {source}\n {group_by}\n ORDER BY {order}"
        return Built(sql, params)
    cell_select = [f"{expr} AS {ref[expr]}" for expr in keys] + [f"{sql} AS {name}" for name, sql in partials.items()]
    cells = (f"cells AS (\n  SELECT {', '.join(cell_select)}\n  {source}\n"
             f"  GROUP BY {', '.join(ref[k] for k in keys)}\n)")
    head = _with(ctes)
    head = f"{head.rstrip()},\n{cells}\n" if head else f"WITH {cells}\n"
    sql = f"{head}SELECT {', '.join(select)}\n  FROM cells\n {group_by}\n ORDER BY {order}"
    return Built(sql, params)


# --- the full picture: hotspots, rising topics, repeat locations, heat map ---------------------
def _public_clause(alias: str) -> str:
    return (f"{alias}.is_public AND {alias}.status = ANY(%(public_statuses)s) AND {alias}.duplicate_of_id IS NULL")


def _simple_where(alias: str, *, public: bool, category: bool, district: bool) -> list[str]:
    where = []
    if public:
        where.append(_public_clause(alias))
    if category:
        where.append(f"{alias}.category_id IN (SELECT id FROM category_filter)")
    if district:
        where.append(f"{alias}.district_id = (SELECT id FROM geoportal_district WHERE code = %(district)s::text)")
    return where


def hotspots_sql(*, public: bool, category: bool, district: bool, english: bool = False) -> str:
    """Clusters of appeals received in [since, until) by ST_ClusterDBSCAN in %(srid)s (metres),
    with their size, centre, hull, radius, district and the three dominant categories."""
    where = " AND ".join(["a.location IS NOT NULL", "a.received_at >= %(since)s", "a.received_at < %(until)s",
                          *_simple_where("a", public=public, category=category, district=district)])
    ctes = [CTES["category_filter"]] if category else []
    name = category_name("c", english=english)
    return f"""WITH RECURSIVE {''.join(c + ', ' for c in ctes)}pts AS (
        SELECT a.id, a.category_id, ST_Transform(a.location, %(srid)s) AS geom
          FROM issues_appeal a WHERE {where}
    ), clustered AS (
        SELECT category_id, geom,
               ST_ClusterDBSCAN(geom, eps := %(eps)s, minpoints := %(minpoints)s) OVER () AS cid
          FROM pts
    ), clusters AS (
        SELECT cid, count(*) AS n, ST_Centroid(ST_Collect(geom)) AS centre, ST_Collect(geom) AS pts
          FROM clustered WHERE cid IS NOT NULL GROUP BY cid
    ), top AS (
        SELECT cid, category_id, count(*) AS n,
               row_number() OVER (PARTITION BY cid ORDER BY count(*) DESC, category_id) AS rn
          FROM clustered WHERE cid IS NOT NULL GROUP BY cid, category_id
    )
    SELECT cl.cid, cl.n,
           ST_X(ST_Transform(cl.centre, 4326)) AS lon, ST_Y(ST_Transform(cl.centre, 4326)) AS lat,
           ST_MaxDistance(cl.centre, cl.pts) AS radius_m,
           ST_AsGeoJSON(ST_Transform(ST_ConvexHull(cl.pts), 4326), 6) AS hull,
           (SELECT d.name FROM geoportal_district d
             WHERE ST_Intersects(d.boundary, ST_Transform(cl.centre, 4326)) ORDER BY d.id LIMIT 1) AS district,
           (SELECT json_agg(json_build_object('category_id', t.category_id, 'category', {name}, 'count', t.n)
                            ORDER BY t.rn)
              FROM top t JOIN issues_category c ON c.id = t.category_id WHERE t.cid = cl.cid AND t.rn <= 3)
             AS dominant
      FROM clusters cl
     ORDER BY cl.n DESC, cl.cid
     LIMIT %(limit)s"""


def rising_sql(years: int, *, public: bool, english: bool = False) -> str:
    """Per category: the count in the current window [start, end), in the same window of each of
    the ``years`` previous years (columns y1…), in the trailing span [trail_start, start), and the
    first appeal's time (for what history exists)."""
    seasonal = ",\n".join(f"count(*) FILTER (WHERE a.received_at >= %(y{k}_start)s AND a.received_at < %(y{k}_end)s)"
                          f" AS y{k}" for k in range(1, years + 1))
    where = " AND ".join(["a.received_at >= %(scan_start)s", "a.received_at < %(end)s",
                          *_simple_where("a", public=public, category=False, district=False)])
    first_where = f"WHERE {_public_clause('f')}" if public else ""
    return f"""WITH counts AS (
        SELECT a.category_id,
               count(*) FILTER (WHERE a.received_at >= %(start)s) AS current,
               {seasonal},
               count(*) FILTER (WHERE a.received_at >= %(trail_start)s AND a.received_at < %(start)s) AS trailing
          FROM issues_appeal a WHERE {where} GROUP BY a.category_id
    )
    SELECT counts.*, {category_name('c', english=english)} AS category,
           {category_name('p', english=english)} AS parent,
           (SELECT min(f.received_at) FROM issues_appeal f {first_where}) AS first_received
      FROM counts JOIN issues_category c ON c.id = counts.category_id
      LEFT JOIN issues_category p ON p.id = c.parent_id"""


def repeats_sql(*, public: bool, category: bool, english: bool = False) -> str:
    """Answered appeals after which the same category was reported again within %(radius)s metres
    and %(within)s after the answer; later reports received since %(since)s."""
    later_where = " AND ".join(["l.location IS NOT NULL", "l.received_at >= %(since)s", "l.duplicate_of_id IS NULL",
                                *_simple_where("l", public=public, category=category, district=False)])
    earlier_public = f" AND {_public_clause('e')}" if public else ""
    ctes = f"WITH RECURSIVE {CTES['category_filter']}\n" if category else ""
    return f"""{ctes}SELECT e.id, e.number, e.category_id, {category_name('c', english=english)} AS category,
           ST_X(e.location) AS lon,
           ST_Y(e.location) AS lat, e.answered_at, e.result, d.name AS district,
           count(*) AS repeats, min(l.received_at) AS first_repeat, max(l.received_at) AS last_repeat,
           (array_agg(l.number ORDER BY l.received_at))[1:10] AS later_numbers
      FROM issues_appeal l
      JOIN issues_appeal e
        ON e.category_id = l.category_id AND e.id <> l.id
       AND e.location && ST_Expand(l.location, %(expand_deg)s)
       AND ST_DWithin(e.location::geography, l.location::geography, %(radius)s)
       AND e.answered_at IS NOT NULL AND e.status = ANY(%(answered_statuses)s)
       AND l.received_at > e.answered_at AND l.received_at <= e.answered_at + %(within)s{earlier_public}
      JOIN issues_category c ON c.id = e.category_id
      LEFT JOIN geoportal_district d ON d.id = e.district_id
     WHERE {later_where}
     GROUP BY e.id, c.id, d.name
     ORDER BY count(*) DESC, max(l.received_at) DESC
     LIMIT %(limit)s"""


def heatmap_sql(*, public: bool, category: bool) -> str:
    """Counts on a %(cell)s-metre grid in %(srid)s; cell centres in WGS84."""
    where = " AND ".join(["a.location IS NOT NULL", "a.received_at >= %(since)s", "a.received_at < %(until)s",
                          *_simple_where("a", public=public, category=category, district=False)])
    ctes = f"WITH RECURSIVE {CTES['category_filter']}\n" if category else ""
    return f"""{ctes}SELECT ST_X(ST_Transform(ST_SetSRID(ST_MakePoint(gx, gy), %(srid)s), 4326)) AS lon,
           ST_Y(ST_Transform(ST_SetSRID(ST_MakePoint(gx, gy), %(srid)s), 4326)) AS lat, n
      FROM (SELECT floor(ST_X(p) / %(cell)s) * %(cell)s + %(cell)s / 2.0 AS gx,
                   floor(ST_Y(p) / %(cell)s) * %(cell)s + %(cell)s / 2.0 AS gy, count(*) AS n
              FROM (SELECT ST_Transform(a.location, %(srid)s) AS p FROM issues_appeal a WHERE {where}) s
             GROUP BY 1, 2) g
     WHERE n >= %(min_count)s
     ORDER BY n DESC
     LIMIT %(limit)s"""


# --- open data ------------------------------------------------------------------------------------
def opendata_sql(*, category: bool) -> str:
    """Published appeals (Appeal.objects.public()) received in [start, end): the open data
    columns of analytics.opendata.SCHEMA, in id order. No text, address or person."""
    ctes = [CTES["cat_tree"]] + ([CTES["category_filter"]] if category else [])
    category_where = " AND a.category_id IN (SELECT id FROM category_filter)" if category else ""
    return f"""WITH RECURSIVE {', '.join(ctes)}
    SELECT a.id, a.number,
           to_char(a.received_at AT TIME ZONE %(tz)s, 'YYYY-MM-DD"T"HH24:MI:SS') AS received_at,
           to_char(a.registered_at AT TIME ZONE %(tz)s, 'YYYY-MM-DD"T"HH24:MI:SS') AS registered_at,
           to_char(a.deadline_at AT TIME ZONE %(tz)s, 'YYYY-MM-DD"T"HH24:MI:SS') AS deadline_at,
           to_char(a.answered_at AT TIME ZONE %(tz)s, 'YYYY-MM-DD"T"HH24:MI:SS') AS answered_at,
           to_char(a.closed_at AT TIME ZONE %(tz)s, 'YYYY-MM-DD"T"HH24:MI:SS') AS closed_at,
           a.status, a.category_id, c.code AS category_code, c.name AS category, c1.name AS category_group,
           ct.section AS classifier_section, a.kind, a.appeal_type, a.channel,
           d.code AS district_code, d.name AS district, a.responsible_agency_id AS agency_id,
           ag.short_name AS agency, NULLIF(a.result, '') AS result, a.extended, a.redirect_count,
           a.reopen_count, a.supporters_count,
           CASE WHEN a.answered_at IS NOT NULL AND a.deadline_at IS NOT NULL
                THEN a.answered_at <= a.deadline_at END AS answered_on_time,
           round((extract(epoch FROM a.answered_at - a.registered_at) / 86400.0)::numeric, 2)::float8
             AS days_to_answer,
           round(ST_X(a.location)::numeric, %(precision)s)::float8 AS lon,
           round(ST_Y(a.location)::numeric, %(precision)s)::float8 AS lat
      FROM issues_appeal a
      JOIN issues_category c ON c.id = a.category_id
      JOIN cat_tree ct ON ct.id = a.category_id
      JOIN issues_category c1 ON c1.id = ct.path[1]
      LEFT JOIN geoportal_district d ON d.id = a.district_id
      LEFT JOIN geoportal_agency ag ON ag.id = a.responsible_agency_id
     WHERE {_public_clause('a')} AND a.received_at >= %(start)s AND a.received_at < %(end)s{category_where}
     ORDER BY a.id"""


# --- leadership report -----------------------------------------------------------------------------
DISTRICTS_GEOJSON = """SELECT id, code, name, population,
       ST_AsGeoJSON(ST_SimplifyPreserveTopology(boundary, %(tolerance)s), 5) AS geometry
  FROM geoportal_district ORDER BY id"""


# --- initiative projects (participatory budgeting) ----------------------------------------------------
SELECTED_PROJECT_STATUSES = ["selected", "in_progress", "completed"]
IMPLEMENTING_PROJECT_STATUSES = ["in_progress", "completed"]

INITIATIVES = """WITH p AS (
    SELECT pr.id, pr.heading_id, pr.status, pr.cost_estimate, COALESCE(pr.reviewed_price, pr.cost_estimate) AS price,
           pr.cofinancing_residents, pr.cofinancing_business, pr.cofinancing_local_budget, pr.inkind_labour,
           pr.supports_count
      FROM projects_project pr
     WHERE pr.status <> 'draft' AND (%(cycle)s::bigint IS NULL OR pr.cycle_id = %(cycle)s::bigint)
), late AS (  -- milestones past due and not done, or done after their due day
    SELECT m.project_id, count(*) AS late
      FROM projects_milestone m
     WHERE m.status <> 'cancelled' AND m.due_on IS NOT NULL
       AND ((m.completed_on IS NULL AND m.due_on < %(today)s) OR m.completed_on > m.due_on)
     GROUP BY m.project_id
), spent AS (
    SELECT project_id, sum(amount) AS spent FROM projects_expense GROUP BY project_id
), reports AS (
    SELECT project_id, count(*) AS n, count(*) FILTER (WHERE status = 'answered') AS answered,
           count(*) FILTER (WHERE status = 'escalated') AS escalated, count(*) FILTER (WHERE status = 'new') AS open
      FROM projects_controlreport GROUP BY project_id
), voters AS (
    SELECT heading_id, count(*) AS voters FROM projects_ballot GROUP BY heading_id
), heads AS (
    SELECT c.id AS cycle_id, c.name AS cycle, h.id AS heading_id, h.name AS heading, d.name AS district,
           d.population, h.money AS available, COALESCE(max(v.voters), 0) AS voters,
           count(p.id) AS proposals, COALESCE(sum(p.supports_count), 0) AS supporters,
           COALESCE(sum(p.cost_estimate), 0) AS requested,
           count(p.id) FILTER (WHERE p.status = ANY(%(selected)s)) AS selected,
           COALESCE(sum(p.price) FILTER (WHERE p.status = ANY(%(selected)s)), 0) AS selected_money,
           COALESCE(sum(p.cofinancing_residents) FILTER (WHERE p.status = ANY(%(selected)s)), 0) AS cofin_residents,
           COALESCE(sum(p.cofinancing_business) FILTER (WHERE p.status = ANY(%(selected)s)), 0) AS cofin_business,
           COALESCE(sum(p.cofinancing_local_budget) FILTER (WHERE p.status = ANY(%(selected)s)), 0) AS cofin_local,
           COALESCE(sum(p.inkind_labour) FILTER (WHERE p.status = ANY(%(selected)s)), 0) AS inkind,
           count(p.id) FILTER (WHERE p.status = ANY(%(implementing)s) AND l.late IS NULL) AS on_schedule,
           count(p.id) FILTER (WHERE p.status = ANY(%(implementing)s) AND l.late > 0) AS late,
           count(p.id) FILTER (WHERE p.status = 'completed') AS completed,
           COALESCE(sum(s.spent), 0) AS executed,
           COALESCE(sum(r.n), 0) AS reports, COALESCE(sum(r.answered), 0) AS reports_answered,
           COALESCE(sum(r.escalated), 0) AS reports_escalated, COALESCE(sum(r.open), 0) AS reports_open
      FROM projects_heading h
      JOIN projects_budgetcycle c ON c.id = h.cycle_id
      LEFT JOIN geoportal_district d ON d.id = h.district_id
      LEFT JOIN voters v ON v.heading_id = h.id
      LEFT JOIN p ON p.heading_id = h.id
      LEFT JOIN late l ON l.project_id = p.id
      LEFT JOIN spent s ON s.project_id = p.id
      LEFT JOIN reports r ON r.project_id = p.id
     WHERE %(cycle)s::bigint IS NULL OR c.id = %(cycle)s::bigint
     GROUP BY c.id, c.name, h.id, h.name, d.name, d.population, h.money
)
SELECT GROUPING(heading_id) AS is_total, cycle_id, max(cycle) AS cycle, heading_id, max(heading) AS heading,
       max(district) AS district, sum(population) AS population, sum(available) AS available, sum(voters) AS voters,
       sum(voters) FILTER (WHERE population > 0)::float8 / NULLIF(sum(population) FILTER (WHERE population > 0), 0)
         AS turnout,
       sum(proposals) AS proposals, sum(supporters) AS supporters, sum(requested) AS requested,
       sum(selected) AS selected, sum(selected_money) AS selected_money, sum(cofin_residents) AS cofin_residents,
       sum(cofin_business) AS cofin_business, sum(cofin_local) AS cofin_local, sum(inkind) AS inkind,
       sum(on_schedule) AS on_schedule, sum(late) AS late, sum(completed) AS completed, sum(executed) AS executed,
       sum(reports) AS reports, sum(reports_answered) AS reports_answered,
       sum(reports_escalated) AS reports_escalated, sum(reports_open) AS reports_open
  FROM heads
 GROUP BY GROUPING SETS ((cycle_id, heading_id), (cycle_id))
 ORDER BY cycle_id, GROUPING(heading_id), max(heading)"""
