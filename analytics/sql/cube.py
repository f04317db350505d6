"""The pivot statement over the appeals: ``GROUP BY CUBE`` over the row and column dimension
sets (cells, row totals, column totals, the grand total), window functions for shares."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .common import (
    DIMENSIONS,
    Built,
    Filters,
    assemble_joins,
    base_params,
    missing_check,
    where_clauses,
    with_clause,
)
from .facts import FACT_PARTIALS, facts_source
from .metrics import FINALS, METRICS, NON_ADDITIVE, PARTIALS


@dataclass
class Keys:
    """The grouped expressions of a pivot, per side, and its output columns."""

    rows: list[str] = field(default_factory=list)
    cols: list[str] = field(default_factory=list)
    outputs: list[tuple[str, str, str | None]] = field(default_factory=list)  # (expression, name, time format)

    @property
    def all(self) -> list[str]:
        return [*self.rows, *self.cols]


def pivot_keys(rows: list[str], cols: list[str], joins: set[str], *, english: bool) -> Keys:
    """Key and label expressions of the dimensions; adds the joins they need to ``joins``."""
    keys = Keys()
    for side, dims in ((keys.rows, rows), (keys.cols, cols)):
        for name in dims:
            dim = DIMENSIONS[name]
            joins.update(dim.joins)
            side.append(dim.key)
            keys.outputs.append((dim.key, name, dim.time_format))
            label = dim.english_label if english and dim.english_label else dim.label
            if label is not None:
                side.append(label)
                keys.outputs.append((label, f"{name}__label", None))
    return keys


def key_select(keys: Keys, ref: dict[str, str]) -> list[str]:
    """The dimension output columns and the rolled-up flags ``g_rows``/``g_cols``."""
    select = [f"to_char({ref[expr]}, '{fmt}') AS {name}" if fmt else f"{ref[expr]} AS {name}"
              for expr, name, fmt in keys.outputs]
    select.append(f"GROUPING({ref[keys.rows[0]]}) AS g_rows" if keys.rows else "1 AS g_rows")
    select.append(f"GROUPING({ref[keys.cols[0]]}) AS g_cols" if keys.cols else "1 AS g_cols")
    return select


def cube_sets(keys: Keys, ref: dict[str, str]) -> list[str]:
    """The CUBE's sets: the row keys, the column keys (each side present)."""
    return [f"({', '.join(ref[k] for k in side)})" for side in (keys.rows, keys.cols) if side]


def order_by(keys: Keys, ref: dict[str, str]) -> str:
    return ", ".join(["g_rows", *[f"{ref[k]} NULLS LAST" for k in keys.rows], "g_cols",
                      *[f"{ref[k]} NULLS LAST" for k in keys.cols]])


def _per_1000(keys: Keys, ref: dict[str, str], two_phase: bool, partials: dict[str, str],
              catalogue: dict[str, str]) -> str:
    population = "(SELECT total FROM pop)"
    if two_phase:
        partials["p_with_district"] = catalogue["p_with_district"]
        partials["p_population"] = "max(d.population)"
        with_district, district_population = "sum(p_with_district)", "max(p_population)"
    else:
        with_district, district_population = "count(a.district_id)", "max(d.population)"
    if "a.district_id" in ref:
        population = (f"CASE WHEN GROUPING({ref['a.district_id']}) = 0 THEN {district_population}::float8 "
                      f"ELSE {population} END")
    return f"{with_district} * 1000.0 / NULLIF({population}, 0) AS per_1000"


def _metric_select(metrics: list[str], keys: Keys, ref: dict[str, str], two_phase: bool,
                   joins: set[str], ctes: set[str], partials: dict[str, str], catalogue: dict[str, str]) -> list[str]:
    select: list[str] = []
    for name in metrics:
        metric = METRICS[name]
        joins.update(metric.joins)
        ctes.update(metric.ctes)
        if name == "per_1000":
            select.append(_per_1000(keys, ref, two_phase, partials, catalogue))
        elif two_phase:
            for column, final in FINALS[name]:
                partials.update({p: catalogue[p] for p in re.findall(r"\bp_\w+", final)})
                select.append(f"{final} AS {column}")
        else:
            select.extend(f"{sql} AS {column}" for column, sql in metric.columns)
    return select


def pivot_sql(rows: list[str], cols: list[str], metrics: list[str], filters: Filters, *, public: bool,
              now: Any, tz: str, two_phase: bool | None = None, english: bool = False, facts: bool = False) -> Built:
    """The pivot statement. Output columns: ``g_rows``, ``g_cols`` (1 where that side is rolled
    up), for each dimension ``<dim>`` and ``<dim>__label``, the metric columns, and
    ``missing_filters``.

    ``two_phase`` (default: whenever there is a dimension and every metric is additive) sums
    per-cell partials instead of aggregating the appeals once per grouping set; both forms give
    the same figures (tests compare them). ``english``: category labels in English (see
    category_name). ``facts``: the partials are summed from the appeal facts
    (:mod:`analytics.sql.facts`; additive metrics only, where ``facts_serve``)."""
    if facts:
        two_phase = True
    if two_phase is None:
        two_phase = bool(rows or cols) and not NON_ADDITIVE & set(metrics)
    if two_phase and NON_ADDITIVE & set(metrics):
        raise ValueError(f"not additive: {sorted(NON_ADDITIVE & set(metrics))}")
    params = base_params(filters, now, tz)
    # the facts table has its own public column (facts_source filters it)
    where, ctes, joins = where_clauses(filters, public and not facts, params)
    keys = pivot_keys(rows, cols, joins, english=english)
    # how the grouped query refers to the key expressions
    ref = {expr: (f"k{i}" if two_phase else expr) for i, expr in enumerate(keys.all)}
    partials: dict[str, str] = {}
    select = [*key_select(keys, ref),
              *_metric_select(metrics, keys, ref, two_phase, joins, ctes, partials,
                              FACT_PARTIALS if facts else PARTIALS),
              f"{missing_check(filters)} AS missing_filters"]
    if facts:
        joins.discard("r")  # the ratings are summed into the facts
    join_sql, join_ctes = assemble_joins(joins)
    ctes.update(join_ctes)
    sets = cube_sets(keys, ref)
    group_by = f"GROUP BY CUBE ({', '.join(sets)})" if sets else ""
    table = facts_source(public) if facts else "FROM issues_appeal a"
    source = f"{table}\n  " + "\n  ".join(join_sql) + (f"\n WHERE {' AND '.join(where)}" if where else "")
    if not two_phase:
        sql = f"{with_clause(ctes)}SELECT {', '.join(select)}\n  {source}\n {group_by}\n ORDER BY {order_by(keys, ref)}"
        return Built(sql, params)
    cell_select = [f"{expr} AS {ref[expr]}" for expr in keys.all]
    cell_select += [f"{sql} AS {name}" for name, sql in partials.items()]
    cell_keys = f"  GROUP BY {', '.join(ref[k] for k in keys.all)}\n" if keys.all else ""
    cells = f"cells AS (\n  SELECT {', '.join(cell_select)}\n  {source}\n{cell_keys})"
    head = with_clause(ctes)
    head = f"{head.rstrip()},\n{cells}\n" if head else f"WITH {cells}\n"
    sql = f"{head}SELECT {', '.join(select)}\n  FROM cells\n {group_by}\n ORDER BY {order_by(keys, ref)}"
    return Built(sql, params)
