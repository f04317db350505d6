"""The shared fragments of the analytics statements: table expressions, joins, dimensions,
conditions, the validated filters and the WHERE clause built from them.

Values are bound as named parameters, never formatted into the text; only names from the fixed
catalogues below are spliced in. Time dimensions and periods use the portal's time zone
(``settings.TIME_ZONE``)."""
from __future__ import annotations

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


def public_clause(alias: str) -> str:
    """Appeal.objects.public(): published, in a public status, not merged into another."""
    return f"{alias}.is_public AND {alias}.status = ANY(%(public_statuses)s) AND {alias}.duplicate_of_id IS NULL"


def where_clauses(filters: Filters, public: bool, params: Params) -> tuple[list[str], set[str], set[str]]:
    """WHERE conditions, and the CTEs and joins they need."""
    where: list[str] = []
    ctes: set[str] = set()
    joins: set[str] = set()
    if public:
        where.append(public_clause("a"))
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


def base_params(filters: Filters, now: Any, tz: str) -> Params:
    return {
        "now": now, "tz": tz, "open_statuses": OPEN, "public_statuses": PUBLIC,
        "repeated_kinds": REPEATED_KINDS, "resolved_results": RESOLVED_RESULTS,
        "district": filters.district, "category": filters.category, "agency": filters.agency,
    }


def missing_check(filters: Filters) -> str:
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


def assemble_joins(wanted: set[str]) -> tuple[list[str], set[str]]:
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


def with_clause(ctes: set[str]) -> str:
    order = ["cat_tree", "agency_tree", "category_filter", "agency_filter", "pop"]
    used = [CTES[name] for name in order if name in ctes]
    return ("WITH RECURSIVE " + ",\n".join(used) + "\n") if used else ""

