"""The pivot statement over the answer-time histograms (:mod:`analytics.histograms`): medians
and 90th percentiles of large slices without sorting every appeal.

The histogram rows are grouped by the pivot's keys and the bucket (``GROUP BY bucket, CUBE``),
a running sum over the buckets of each group finds the bucket that holds the q-th answer in
order, and the percentile is interpolated linearly inside it. The estimate and that answer (the
discrete percentile, ``percentile_disc``) share a bucket, so they differ by less than its width:
at most :data:`MAX_RELATIVE_ERROR` × (1 + days). Counts (count, share, answered, open) are exact.

The histograms hold a month, district, category, agency and status per row, so they serve only
pivots whose dimensions, filters and metrics are among those (:func:`histogram_serves`); the
received period must be whole local months. A pivot that reads at most one of district, agency
and category and not the status (:func:`coarse_slice`: the public statistics page, the agency
scorecards, medians by category) sums that slice of the coarse histogram instead
(:class:`analytics.models.CoarseAnswerTimeHistogram`: the same bucket counts summed over every
other column): the same figures from a fraction of the rows."""
from __future__ import annotations

import math
from typing import Any

from .common import Built, Filters, assemble_joins, base_params, missing_check, where_clauses, with_clause
from .cube import Keys, order_by, pivot_keys
from .facts import FACT_DIMENSIONS, filters_on_facts
from .metrics import NON_ADDITIVE

TABLE = "analytics_answertimehistogram"
COARSE_TABLE = "analytics_coarseanswertimehistogram"
BUCKET_RATIO = 1.05
LN_RATIO = math.log(BUCKET_RATIO)
MAX_RELATIVE_ERROR = BUCKET_RATIO - 1
HISTOGRAM_METRICS = frozenset({"count", "share", "answered", "open", "median_days", "p90_days"})
HISTOGRAM_DIMENSIONS = FACT_DIMENSIONS
QUANTILES = {"median_days": 0.5, "p90_days": 0.9}
# histogram column -> the appeal column the shared filters, dimensions and joins read
COLUMNS = {"received_month": "received_at", "district_id": "district_id", "category_id": "category_id",
           "agency_id": "responsible_agency_id"}
# the coarse histogram's slices (sliced_by) and the one key column each holds beside the month
COARSE_SLICES = {"district": "district_id", "agency": "agency_id", "category": "category_id"}


def histogram_serves(rows: list[str], cols: list[str], metrics: list[str], filters: Filters, tz: str) -> bool:
    """Whether the histograms answer this pivot: it asks for a percentile, and every metric,
    dimension and filter is one they hold."""
    return (bool(NON_ADDITIVE & set(metrics)) and set(metrics) <= HISTOGRAM_METRICS
            and set(rows) | set(cols) <= HISTOGRAM_DIMENSIONS and filters_on_facts(filters, tz))


def coarse_slice(used: str, metrics: list[str]) -> str | None:
    """The slice of the coarse histogram that holds every column the statement reads (``used``:
    its dimension, join and filter text), if one does: at most one of district, agency and
    category, and not the status (nor the open count, counted by status)."""
    if "open" in metrics or "a.status" in used:
        return None
    read = [name for name, column in COARSE_SLICES.items() if f"a.{COLUMNS[column]}" in used]
    return None if len(read) > 1 else read[0] if read else "district"  # the smallest slice


def _source(public: bool, used: str, coarse: str | None) -> str:
    """The histogram rows summed over the columns the statement does not read (``used``: its
    other text), under the appeal columns' names: the grouping that follows reads a few
    thousand rows instead of every histogram row (and PostgreSQL pushes the filters down).
    ``coarse``: from that slice of the coarse histogram (no status column)."""
    table, columns, where = TABLE, list(COLUMNS), ["h.public"] if public else []
    if coarse is not None:
        table, columns = COARSE_TABLE, ["received_month", COARSE_SLICES[coarse]]
        where = [f"h.sliced_by = '{coarse}'", *where]
    kept = [f"h.{column} AS {COLUMNS[column]}" for column in columns if f"a.{COLUMNS[column]}" in used]
    if coarse is None:
        kept.append("h.status")
    positions = ", ".join(str(i) for i in range(1, len(kept) + 2))
    return (f"FROM (SELECT {''.join(k + ', ' for k in kept)}h.bucket, sum(h.count) AS n FROM {table} h"
            f"{' WHERE ' + ' AND '.join(where) if where else ''} GROUP BY {positions}) a")


def _quantile(q: float) -> str:
    """The q-quantile of a group's answers, from its running bucket sums (``below``: answers in
    this bucket and those before it; ``answered``: the group's answers)."""
    target = f"({q!r} * answered)"
    frac = f"(({target} - (below - n)) / n::float8)"
    return (f"max(exp(bucket * {LN_RATIO!r}) * (1 + {BUCKET_RATIO - 1!r} * {frac}) - 1) "
            f"FILTER (WHERE bucket >= 0 AND below >= {target} AND below - n < {target})")


def _final(metric: str) -> str:
    if metric in QUANTILES:
        return _quantile(QUANTILES[metric])
    return {"count": "sum(n)::bigint", "share": "sum(n)::float8 / NULLIF(max(sum(n)) OVER (), 0)",
            "answered": "(COALESCE(sum(n) FILTER (WHERE bucket >= 0), 0))::bigint",
            "open": "COALESCE(sum(n_open), 0)::bigint"}[metric]


def _cube(keys: Keys, ref: dict[str, str]) -> str:
    names = list(ref.values())
    sets = [f"({', '.join(ref[k] for k in side)})" for side in (keys.rows, keys.cols) if side]
    g_rows = f"GROUPING({ref[keys.rows[0]]})" if keys.rows else "1"
    g_cols = f"GROUPING({ref[keys.cols[0]]})" if keys.cols else "1"
    group_by = f"bucket, CUBE ({', '.join(sets)})" if sets else "bucket"
    return (f"cube AS (\n  SELECT {''.join(n + ', ' for n in names)}bucket, {g_rows} AS g_rows, {g_cols} AS g_cols, "
            f"sum(n) AS n, sum(n_open) AS n_open FROM hist GROUP BY {group_by}\n), cum AS (\n"
            f"  SELECT cube.*, sum(n) FILTER (WHERE bucket >= 0) OVER (w ORDER BY bucket) AS below, "
            f"sum(n) FILTER (WHERE bucket >= 0) OVER w AS answered\n  FROM cube "
            f"WINDOW w AS (PARTITION BY {', '.join(['g_rows', 'g_cols', *names])})\n)")


def histogram_pivot_sql(rows: list[str], cols: list[str], metrics: list[str], filters: Filters, *, public: bool,
                        now: Any, tz: str, english: bool = False) -> Built:
    """The pivot statement over the histograms, with the output columns of
    :func:`analytics.sql.cube.pivot_sql` (only where :func:`histogram_serves`)."""
    params = base_params(filters, now, tz)
    where, ctes, joins = where_clauses(filters, False, params)
    keys = pivot_keys(rows, cols, joins, english=english)
    ref = {expr: f"k{i}" for i, expr in enumerate(keys.all)}
    join_sql, join_ctes = assemble_joins(joins)
    ctes.update(join_ctes)
    key_cols = [f"{expr} AS {ref[expr]}" for expr in keys.all]
    rest = "\n  ".join(join_sql) + (f"\n WHERE {' AND '.join(where)}" if where else "")
    used = " ".join([*keys.all, rest])
    coarse = coarse_slice(used, metrics)
    n_open = "sum(a.n) FILTER (WHERE a.status = ANY(%(open_statuses)s))" if coarse is None else "NULL::numeric"
    hist = (f"hist AS (\n  SELECT {''.join(k + ', ' for k in key_cols)}a.bucket, sum(a.n) AS n, "
            f"{n_open} AS n_open\n  {_source(public, used, coarse)}\n  {rest}"
            f"\n  GROUP BY {''.join(k + ', ' for k in ref.values())}a.bucket\n)")
    select = [f"to_char({ref[expr]}, '{fmt}') AS {name}" if fmt else f"{ref[expr]} AS {name}"
              for expr, name, fmt in keys.outputs]
    select += ["g_rows", "g_cols", *(f"{_final(m)} AS {m}" for m in metrics),
               f"{missing_check(filters)} AS missing_filters"]
    head = with_clause(ctes)
    head = f"{head.rstrip()},\n" if head else "WITH "
    plain = {k: k for k in ref.values()}  # the outer query orders by the cube's columns
    order = order_by(Keys([ref[k] for k in keys.rows], [ref[k] for k in keys.cols]), plain)
    sql = (f"{head}{hist}, {_cube(keys, ref)}\nSELECT {', '.join(select)}\n  FROM cum\n"
           f" GROUP BY {', '.join(['g_rows', 'g_cols', *ref.values()])}\n ORDER BY {order}")
    return Built(sql, params)
