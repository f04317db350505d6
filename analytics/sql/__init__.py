"""Every SQL statement of the analytics app lives in this package.

The pivot is built from small named fragments (:mod:`.common`): a dimension is a key expression
(what rows are grouped by), a label expression and the joins it needs; a metric (:mod:`.metrics`)
is an aggregate expression and the joins it needs. One statement per request: filters, joins,
``GROUP BY CUBE`` over the row and column dimension sets (cells, row totals, column totals, the
grand total) and window functions for shares, over the appeals (:mod:`.cube`) or, for medians
and percentiles of large slices, over the answer-time histograms (:mod:`.histogram`), and for the
additive metrics over the appeal facts (:mod:`.facts`). Values are
bound as named parameters, never formatted into the text; only names from the fixed catalogues
are spliced in.

Time dimensions and periods use the portal's time zone (``settings.TIME_ZONE``)."""
from __future__ import annotations

from .common import (
    CTES,
    DIMENSIONS,
    JOINS,
    OPEN,
    OVERDUE,
    PUBLIC,
    Built,
    DimSQL,
    Filters,
    Params,
    category_name,
)
from .cube import pivot_sql
from .facts import facts_serve
from .histogram import HISTOGRAM_METRICS, histogram_pivot_sql, histogram_serves
from .metrics import FINALS, METRICS, NON_ADDITIVE, PARTIALS, MetricSQL
from .picture import heatmap_sql, hotspots_sql, repeats_sql, rising_sql
from .reports import (
    DISTRICTS_GEOJSON,
    IMPLEMENTING_PROJECT_STATUSES,
    INITIATIVES,
    SELECTED_PROJECT_STATUSES,
    opendata_sql,
)

__all__ = [
    "CTES", "DIMENSIONS", "DISTRICTS_GEOJSON", "FINALS", "HISTOGRAM_METRICS", "IMPLEMENTING_PROJECT_STATUSES",
    "INITIATIVES", "JOINS", "METRICS", "NON_ADDITIVE", "OPEN", "OVERDUE", "PARTIALS", "PUBLIC",
    "SELECTED_PROJECT_STATUSES", "Built", "DimSQL", "Filters", "MetricSQL", "Params", "category_name",
    "facts_serve", "heatmap_sql", "histogram_pivot_sql", "histogram_serves", "hotspots_sql", "opendata_sql",
    "pivot_sql", "repeats_sql", "rising_sql",
]
