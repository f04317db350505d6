"""The full picture: where problems concentrate (hotspots), what is growing against its
seasonal norm (rising topics), where the same problem comes back after an answer (repeat
locations) and the density grid for heat maps. SQL in analytics.sql; one statement each.

Rising topics, precisely: for every category, ``current`` = appeals received in the last
``window`` days (ending at ``as_of``, default now). Its norm is the **seasonal norm** — the mean
count in the same calendar window of each previous year (up to ``years``) that the data fully
covers; when no previous year is covered, the **trailing norm** — the mean count per window over
the ``trailing`` windows just before the current one (scaled to the part the data covers). A
category is *rising* when current ≥ ``min_count``, current / norm ≥ ``min_ratio`` and the Poisson
z-score (current − norm) / √max(norm, 1) ≥ 2."""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from geoportal.converters import query_id
from geoportal.i18n import english_page
from geoportal.replica import read_connection as connection  # lag-tolerant reads: the replica if set
from issues.models import Status

from . import hotspot_snapshots, sql
from .params import parse_instant

Z_THRESHOLD = 2.0


def metric_srid() -> int:
    """A projection in metres for the served territory (UTM zone 38N covers 42°–48° E)."""
    return int(getattr(settings, "ANALYTICS_METRIC_SRID", 32638))


class _Params:
    """Reads and validates query parameters, collecting field errors for one 400."""

    def __init__(self, raw: Mapping[str, Any], allowed: set[str]) -> None:
        self.raw = raw
        self.errors: dict[str, str] = {}
        unknown = sorted(set(raw) - allowed)
        if unknown:
            self.errors["params"] = _("Неизвестные параметры: %(unknown)s; допустимы: %(valid)s.") % {
                "unknown": ", ".join(unknown), "valid": ", ".join(sorted(allowed))}

    def number(self, name: str, default: float, lo: float, hi: float, *, integer: bool = True) -> Any:
        value = self.raw.get(name)
        if value in (None, ""):
            return default
        try:
            parsed = int(str(value)) if integer else float(str(value))
        except (TypeError, ValueError):
            self.errors[name] = _("Число от %(lo)s до %(hi)s.") % {"lo": lo, "hi": hi}
            return default
        if not lo <= parsed <= hi:
            self.errors[name] = _("Число от %(lo)s до %(hi)s.") % {"lo": lo, "hi": hi}
            return default
        return parsed

    def instant(self, name: str, default: dt.datetime) -> dt.datetime:
        value = self.raw.get(name)
        if value in (None, ""):
            return default
        parsed = parse_instant(str(value))
        if parsed is None:
            self.errors[name] = _("Дата или дата-время ISO 8601.")
            return default
        return parsed

    def ident(self, name: str) -> int | None:
        value = self.raw.get(name)
        if value in (None, ""):
            return None
        ident = query_id(str(value))
        if ident is None:
            self.errors[name] = _("Целое число — идентификатор.")
        return ident

    def code(self, name: str) -> str | None:
        value = self.raw.get(name)
        if value in (None, ""):
            return None
        if not str(value).replace("-", "").replace("_", "").isalnum():
            self.errors[name] = _("Код: латиница, цифры, дефис.")
            return None
        return str(value)

    def check(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def _fetch(statement: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        names = [c.name for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _common(public: bool) -> dict[str, Any]:
    return {"public_statuses": sql.PUBLIC, "srid": metric_srid()}


def hotspots(raw: Mapping[str, Any], *, public: bool) -> dict[str, Any]:
    p = _Params(raw, {"days", "eps", "minpoints", "density", "category", "district", "until", "limit"})
    days = p.number("days", 30, 1, 366)
    eps = p.number("eps", 100.0, 10.0, 5000.0, integer=False)
    minpoints = p.number("minpoints", 20, 2, 1000)
    density = p.number("density", hotspot_snapshots.DENSITY, 0.0, 1000.0, integer=False)
    limit = p.number("limit", 50, 1, 500)
    until = p.instant("until", timezone.now())
    category = p.ident("category")
    district = p.code("district")
    p.check()
    snapshot = hotspot_snapshots.stored(raw, public=public, days=days, eps=eps, minpoints=minpoints, density=density,
                                        limit=limit)
    if snapshot is not None:
        return snapshot  # the default window, computed in the background (35 s at ten million)
    since = until - dt.timedelta(days=days)
    params = {**_common(public), "since": since, "until": until, "eps": eps, "minpoints": minpoints,
              "density": density, "limit": limit, "category": category, "district": district}
    rows = _fetch(sql.hotspots_sql(public=public, category=category is not None, district=district is not None,
                                   english=english_page()), params)
    import json

    used = rows[0]["minpoints"] if rows else minpoints  # the floor's row comes even without a cluster
    clusters = []
    for row in (r for r in rows if r["cid"] is not None):
        dominant = row["dominant"] if isinstance(row["dominant"], list) else json.loads(row["dominant"] or "[]")
        for item in dominant:
            item["share"] = round(item["count"] / row["n"], 4)
        clusters.append({"cluster": row["cid"], "count": row["n"], "lon": round(row["lon"], 6),
                         "lat": round(row["lat"], 6), "radius_m": round(row["radius_m"] or 0.0, 1),
                         "district": row["district"], "dominant_categories": dominant,
                         "hull": json.loads(row["hull"]) if row["hull"] else None})
    return {"since": since.isoformat(), "until": until.isoformat(), "eps_m": eps, "minpoints": used,
            "minpoints_asked": minpoints, "density": density, "srid": metric_srid(),
            "scope": "public" if public else "all", "clusters": clusters, "as_of": None}


def _shift_years(moment: dt.datetime, years: int) -> dt.datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - years, day=28)


def rising_topics(raw: Mapping[str, Any], *, public: bool) -> dict[str, Any]:
    p = _Params(raw, {"window", "years", "trailing", "as_of", "min_count", "min_ratio"})
    window = p.number("window", 30, 7, 120)
    years = p.number("years", 3, 1, 5)
    trailing = p.number("trailing", 6, 1, 24)
    min_count = p.number("min_count", 5, 1, 100000)
    min_ratio = p.number("min_ratio", 1.5, 1.0, 100.0, integer=False)
    end = p.instant("as_of", timezone.now())
    p.check()
    start = end - dt.timedelta(days=window)
    trail_start = start - dt.timedelta(days=window * trailing)
    params: dict[str, Any] = {**_common(public), "start": start, "end": end, "trail_start": trail_start}
    for k in range(1, years + 1):
        params[f"y{k}_start"], params[f"y{k}_end"] = _shift_years(start, k), _shift_years(end, k)
    params["scan_start"] = min(trail_start, params[f"y{years}_start"])
    rows = _fetch(sql.rising_sql(years, public=public, english=english_page()), params)
    topics = []
    for row in rows:
        first = row["first_received"]
        covered = [row[f"y{k}"] for k in range(1, years + 1) if first is not None and first <= params[f"y{k}_start"]]
        if covered:
            method, norm, basis = "seasonal", sum(covered) / len(covered), len(covered)
        else:
            span_start = max(trail_start, first) if first is not None else start
            covered_days = max((start - span_start).total_seconds() / 86400, 0.0)
            method, basis = "trailing", round(covered_days / window, 2)
            norm = row["trailing"] / (covered_days / window) if covered_days >= 1 else None
        current = row["current"]
        ratio = current / norm if norm else None
        z = (current - norm) / math.sqrt(max(norm, 1.0)) if norm is not None else None
        rising = bool(current >= min_count and ratio is not None and ratio >= min_ratio and z is not None
                      and z >= Z_THRESHOLD) or (norm == 0 and current >= min_count)
        topics.append({"category_id": row["category_id"], "category": row["category"], "parent": row["parent"],
                       "current": current, "norm": round(norm, 2) if norm is not None else None, "method": method,
                       "basis": basis, "ratio": round(ratio, 3) if ratio is not None else None,
                       "z": round(z, 2) if z is not None else None, "rising": rising})
    topics.sort(key=lambda t: (not t["rising"], -(t["ratio"] or 0), -t["current"]))
    return {"window_days": window, "start": start.isoformat(), "end": end.isoformat(), "years": years,
            "trailing_windows": trailing, "min_count": min_count, "min_ratio": min_ratio,
            "scope": "public" if public else "all", "topics": topics}


def repeat_locations(raw: Mapping[str, Any], *, public: bool) -> dict[str, Any]:
    p = _Params(raw, {"radius", "days", "within", "category", "limit"})
    radius = p.number("radius", 50.0, 5.0, 1000.0, integer=False)
    # the public's windows are shorter: the self-join grows with both (staff keep two years)
    longest = 366 if public else 730
    days = p.number("days", 90, 1, longest)
    within = p.number("within", 180, 1, longest)
    limit = p.number("limit", 100, 1, 1000)
    category = p.ident("category")
    p.check()
    since = timezone.now() - dt.timedelta(days=days)
    params = {**_common(public), "since": since, "within": dt.timedelta(days=within), "radius": radius,
              "expand_deg": radius / 30000.0, "limit": limit, "category": category,
              "answered_statuses": [str(Status.ANSWERED), str(Status.CLOSED)]}
    rows = _fetch(sql.repeats_sql(public=public, category=category is not None, english=english_page()), params)
    places = [{"appeal_id": r["id"], "number": r["number"], "category_id": r["category_id"], "category": r["category"],
               "district": r["district"], "lon": round(r["lon"], 6), "lat": round(r["lat"], 6),
               "answered_at": r["answered_at"].isoformat(), "result": r["result"], "repeats": r["repeats"],
               "first_repeat": r["first_repeat"].isoformat(), "last_repeat": r["last_repeat"].isoformat(),
               "later_numbers": list(r["later_numbers"] or [])} for r in rows]
    return {"radius_m": radius, "since": since.isoformat(), "within_days": within,
            "scope": "public" if public else "all", "places": places}


def heatmap(raw: Mapping[str, Any], *, public: bool) -> dict[str, Any]:
    p = _Params(raw, {"days", "cell", "category", "min_count", "limit", "until"})
    days = p.number("days", 90, 1, 3660)
    cell = p.number("cell", 100.0, 20.0, 5000.0, integer=False)
    min_count = p.number("min_count", 1, 1, 1000)
    limit = p.number("limit", 20000, 1, 100000)
    until = p.instant("until", timezone.now())
    category = p.ident("category")
    p.check()
    since = until - dt.timedelta(days=days)
    params = {**_common(public), "since": since, "until": until, "cell": cell, "min_count": min_count,
              "limit": limit, "category": category}
    rows = _fetch(sql.heatmap_sql(public=public, category=category is not None), params)
    return {"since": since.isoformat(), "until": until.isoformat(), "cell_m": cell,
            "scope": "public" if public else "all",
            "points": [[round(r["lat"], 6), round(r["lon"], 6), r["n"]] for r in rows]}
