"""The leadership report: one self-contained HTML file for a period — key figures against the
previous period, folium maps (heat map, choropleth of appeals per 1,000 residents, hotspots),
inline SVG charts, the agency scorecard table and the biggest changes.

Self-contained means it opens offline: folium's CDN links are switched off and the vendored
Leaflet (CSS with its images as data URIs, JS) and Leaflet.heat from
``frontend_map/static/vendor`` are inlined into each map document; each map is an iframe
``srcdoc``. The only network addresses left are the base-map tile URLs (tiles simply do not
show offline).

The two maps of the whole territory read what the portal has already computed, as the pages do,
and say so under the map: the heat map the map's cell aggregates of the period's months
(``settings.ANALYTICS_REPORT_HEATMAP``: published appeals, cells of 680 m at 56° N), the hotspots of
the current period the background snapshot of the last 30 days (:mod:`analytics.hotspot_snapshots`,
dated). What they cannot answer is computed live: the heat map over every appeal, the hotspots of
a past period within ``ANALYTICS_REPORT_HOTSPOTS_BUDGET_S`` (at ten million appeals the
clustering of 30 days takes about 35 s; past the budget the report says they were not
computed)."""
from __future__ import annotations

import base64
import datetime as dt
import json
import math
import re
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import Any

import folium
from django.conf import settings
from django.db import OperationalError
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from folium.plugins import HeatMap

from geoportal.dbtimeout import is_statement_timeout, statement_budget
from geoportal.replica import read_connection as connection  # lag-tolerant reads: the replica if set

from . import hotspot_snapshots, insights, sql, svg
from .params import Period, PivotSpec
from .pivot import run_pivot
from .scorecards import scorecards
from .sql import Filters

VENDOR = Path(settings.BASE_DIR) / "frontend_map" / "static" / "vendor"
SUMMARY_METRICS = ["count", "answered", "on_time_share", "overdue", "median_days", "p90_days", "redirect_share",
                   "reopened_share", "satisfaction_avg", "rated", "per_1000"]
CHANGE_METRICS = ["count", "on_time_share", "median_days"]
SCALE = ("#fff5eb", "#fdd0a2", "#fdae6b", "#fd8d3c", "#e6550d", "#a63603")


@lru_cache(maxsize=1)
def leaflet_assets() -> str:
    """Leaflet's CSS (images inlined) and JS and the heat plugin, as inline tags."""
    css = (VENDOR / "leaflet" / "leaflet.css").read_text(encoding="utf-8")

    def inline_image(match: re.Match[str]) -> str:
        image = VENDOR / "leaflet" / match.group(1)
        data = base64.b64encode(image.read_bytes()).decode("ascii") if image.exists() else ""
        return f"url(data:image/png;base64,{data})"

    css = re.sub(r"url\((images/[\w.-]+\.png)\)", inline_image, css)
    js = (VENDOR / "leaflet" / "leaflet.js").read_text(encoding="utf-8")
    heat = (VENDOR / "heat" / "leaflet-heat.js").read_text(encoding="utf-8")
    return (f"<style>{css}</style>\n<script>{_script_safe(js)}</script>\n"
            f"<script>{_script_safe(heat)}</script>")


def _script_safe(code: str) -> str:
    return code.replace("</script", "<\\/script")


def _base_map(center: tuple[float, float], zoom: int = 11) -> folium.Map:
    fmap = folium.Map(location=list(center), zoom_start=zoom, tiles=None, control_scale=True)
    # no CDN: the libraries are inlined by _map_document
    fmap.default_js = []
    fmap.default_css = []
    folium.TileLayer(tiles=settings.BASEMAP_TILE_URL, attr=settings.BASEMAP_ATTRIBUTION, name="base").add_to(fmap)
    return fmap


def _map_document(fmap: folium.Map) -> str:
    root: Any = fmap.get_root()  # a branca Figure
    root.header.add_child(folium.Element(leaflet_assets()), name="inline_leaflet", index=0)
    return root.render()


def _iframe(document: str, title: str) -> SafeString:
    # both the document and the title are escaped into the attributes
    return mark_safe(f'<iframe class="map" title="{escape(title)}" '  # noqa: S308
                     f'srcdoc="{escape(document, quote=True)}"></iframe>')


def _districts() -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(sql.DISTRICTS_GEOJSON, {"tolerance": 0.0005})
        names = [c.name for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _color(value: float | None, breaks: list[float]) -> str:
    if value is None:
        return "#cccccc"
    for i, edge in enumerate(breaks):
        if value <= edge:
            return SCALE[i]
    return SCALE[-1]


def _breaks(values: list[float]) -> list[float]:
    if not values:
        return [0.0] * (len(SCALE) - 1)
    low, high = min(values), max(values)
    step = (high - low) / len(SCALE) or 1.0
    return [low + step * (i + 1) for i in range(len(SCALE) - 1)]


def _heat_points(period: Period, center: tuple[float, float]) -> tuple[list[list[float]], float, str]:
    """The heat map's [lat, lon, count] points, their cells' side on the ground (metres) and the
    note saying what they count: the map's pre-aggregated cells of the period's months where
    they are built, else every appeal counted live on a 150-metre grid."""
    hook = settings.ANALYTICS_REPORT_HEATMAP
    grid = import_string(hook)(period.start, period.end) if hook else None
    if grid is not None:
        ground = grid["cell_size_m"] * math.cos(math.radians(center[0]))  # Mercator metres → metres on the ground
        return grid["points"], ground, _("Опубликованные обращения за период по ячейкам карты портала около "
                                         "%(size)s м (предрасчитаны, обновляются с каждым изменением обращения).") % {
            "size": f"{round(ground, -1):.0f}"}
    days = max(1, round((period.end - period.start).total_seconds() / 86400))
    live = insights.heatmap({"days": str(days), "until": period.end.isoformat(), "cell": "150"}, public=False)
    return live["points"], 150.0, _("Все обращения за период по ячейкам 150 м.")


def heat_map(period: Period, center: tuple[float, float], zoom: int = 11) -> tuple[SafeString, str]:
    points, cell_m, note = _heat_points(period, center)
    fmap = _base_map(center, zoom)
    peak = max((p[2] for p in points), default=1)
    # a point's blur reaches past its neighbours (1.4 cells, as on the leadership map): no lattice
    metres_per_px = 156543.03392 * math.cos(math.radians(center[0])) / (1 << zoom)
    radius = max(8, round(1.4 * cell_m / metres_per_px))
    heat = HeatMap([[lat, lon, n / peak] for lat, lon, n in points], radius=radius, blur=max(10, radius),
                   min_opacity=0.25)
    heat.default_js = []
    heat.add_to(fmap)
    return _iframe(_map_document(fmap), _("Тепловая карта обращений")), note


def choropleth(district_rows: dict[int, dict[str, Any]], center: tuple[float, float]) -> tuple[SafeString, list[Any]]:
    districts = _districts()
    values = [district_rows[d["id"]]["per_1000"] for d in districts
              if d["id"] in district_rows and district_rows[d["id"]]["per_1000"] is not None]
    breaks = _breaks(values)
    features = []
    for d in districts:
        row = district_rows.get(d["id"], {})
        features.append({"type": "Feature", "geometry": json.loads(d["geometry"]),
                         "properties": {"name": d["name"], "population": d["population"],
                                        "count": row.get("count", 0), "per_1000": row.get("per_1000"),
                                        "color": _color(row.get("per_1000"), breaks)}})
    fmap = _base_map(center)
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features}, name="per_1000",
        style_function=lambda f: {"fillColor": f["properties"]["color"], "color": "#444", "weight": 1,
                                  "fillOpacity": 0.7},
        tooltip=folium.GeoJsonTooltip(fields=["name", "count", "per_1000"],
                                      aliases=[_("Район"), _("Обращений"), _("На 1000 жителей")]),
    ).add_to(fmap)
    legend = [(SCALE[0], f"≤ {breaks[0]:.1f}")] + [
        (SCALE[i + 1], f"{breaks[i]:.1f} – {breaks[i + 1]:.1f}") for i in range(len(breaks) - 1)] + [
        (SCALE[-1], f"> {breaks[-1]:.1f}")]
    return _iframe(_map_document(fmap), _("Обращения на 1000 жителей по районам")), legend


def _hotspots(period: Period, now: dt.datetime) -> tuple[dict[str, Any] | None, str]:
    """The clusters of the 30 days up to the period's end (up to now for the current period:
    then the background snapshot answers, when its window is the report's) and the note saying
    when they were computed; None when the live computation ran past its budget."""
    options = {**hotspot_snapshots.options(), **getattr(settings, "ANALYTICS_REPORT_HOTSPOTS", {})}
    raw = {**{k: str(v) for k, v in options.items()}, "limit": "15"}
    if period.end <= now:
        raw["until"] = period.end.isoformat()
    budget = settings.ANALYTICS_REPORT_HOTSPOTS_BUDGET_S
    try:
        with statement_budget(budget * 1000, using=connection.alias):
            result = insights.hotspots(raw, public=False)
    except OperationalError as exc:
        if not is_statement_timeout(exc):
            raise
        return None, _("Очаги за этот период не рассчитаны: расчёт занял бы больше %(seconds)s с.") % {
            "seconds": budget}
    if result["as_of"]:
        as_of = timezone.localtime(dt.datetime.fromisoformat(result["as_of"]))
        minutes = round(hotspot_snapshots.max_age().total_seconds() / 60)
        return result, _("По состоянию на %(as_of)s: рассчитываются в фоне, не старше %(minutes)s мин.") % {
            "as_of": as_of.strftime("%d.%m.%Y %H:%M"), "minutes": minutes}
    return result, _("Рассчитаны при формировании доклада.")


def hotspot_map(period: Period, center: tuple[float, float],
                now: dt.datetime) -> tuple[SafeString, list[dict[str, Any]], str]:
    result, note = _hotspots(period, now)
    if result is None:
        return SafeString(""), [], note
    fmap = _base_map(center)
    for cluster in result["clusters"]:
        top = ", ".join(f"{d['category']} ({d['count']})" for d in cluster["dominant_categories"])
        folium.Circle([cluster["lat"], cluster["lon"]], radius=max(cluster["radius_m"], 60), color="#b91c1c",
                      fill=True, fill_opacity=0.25,
                      tooltip=_("%(count)s обращений: %(top)s") % {"count": cluster["count"], "top": top}).add_to(fmap)
        folium.CircleMarker([cluster["lat"], cluster["lon"]], radius=4, color="#7f1d1d", fill=True).add_to(fmap)
    return _iframe(_map_document(fmap), _("Очаги обращений")), result["clusters"], note


def _span_dim(period: Period) -> str:
    code = period.code
    return "month" if len(code) == 7 and "Q" not in code else "quarter" if "Q" in code else "year"


def changes(dim: str, period: Period, previous: Period) -> list[dict[str, Any]]:
    """Current vs previous period per ``dim`` value, sorted by the size of the change in volume."""
    span = _span_dim(period)
    table = run_pivot(PivotSpec(rows=[dim], cols=[span], metrics=CHANGE_METRICS,
                                filters=Filters(received_from=previous.start, received_to=period.end)), public=False)
    by_key: dict[Any, dict[str, Any]] = {}
    for cell in table.records:
        if cell["level"] != "cell" or cell[dim] is None:
            continue
        entry = by_key.setdefault(cell[dim], {"label": cell[f"{dim}_label"], "current": None, "previous": None})
        entry["current" if cell[span] == period.code else "previous"] = cell
    out = []
    for entry in by_key.values():
        cur, prev = entry["current"] or {}, entry["previous"] or {}
        now_count, then_count = cur.get("count", 0), prev.get("count", 0)
        out.append({
            "label": entry["label"], "current": now_count, "previous": then_count, "delta": now_count - then_count,
            "delta_pct": round(100 * (now_count - then_count) / then_count, 1) if then_count else None,
            "on_time_now": cur.get("on_time_share"), "on_time_before": prev.get("on_time_share"),
            "median_now": cur.get("median_days"), "median_before": prev.get("median_days"),
        })
    out.sort(key=lambda r: -abs(r["delta"]))
    return out


def _delta(now: Any, before: Any) -> Any:
    if now is None or before is None:
        return None
    return round(now - before, 4)


def build_report(period: Period, *, now: dt.datetime | None = None) -> str:
    """The whole report as one HTML string (figures over all appeals: the report is internal)."""
    now = now or timezone.now()
    previous = period.previous()
    center = settings.MAP_DEFAULT_CENTER
    current = run_pivot(PivotSpec(metrics=SUMMARY_METRICS, filters=Filters(
        received_from=period.start, received_to=period.end)), public=False, now=now)
    current_total, current_total_approximate = current.total, current.approximate
    previous_total = run_pivot(PivotSpec(metrics=SUMMARY_METRICS, filters=Filters(
        received_from=previous.start, received_to=previous.end)), public=False, now=now).total
    kpis = [{"name": name, "now": current_total[name], "before": previous_total[name],
             "delta": _delta(current_total[name], previous_total[name])} for name in SUMMARY_METRICS]
    per_district = run_pivot(PivotSpec(rows=["district"], metrics=["count", "per_1000", "on_time_share"],
                                       filters=Filters(received_from=period.start, received_to=period.end)),
                             public=False, now=now)
    district_rows = {r["district"]: r for r in per_district.records if r["level"] == "row" and r["district"]}
    cards = scorecards(period, public=False, now=now)
    months = cards["months"]
    monthly = run_pivot(PivotSpec(cols=["month"], metrics=["count", "on_time_share"], filters=Filters(
        received_from=period.end.replace(year=period.end.year - 1), received_to=period.end)), public=False, now=now)
    month_rows = {r["month"]: r for r in monthly.records if r["level"] != "total"}
    choropleth_html, legend = choropleth(district_rows, center)
    hotspots_html, clusters, hotspots_note = hotspot_map(period, center, now)
    heat_html, heat_note = heat_map(period, center)
    category_changes = changes("category", period, previous)
    district_changes = changes("district", period, previous)
    agency_changes = changes("agency", period, previous)
    charts = {
        "trend": svg.columns(months, [month_rows.get(m, {}).get("count") or 0 for m in months],
                             title=_("Обращения по месяцам и доля ответов в срок"),
                             line=[month_rows.get(m, {}).get("on_time_share") for m in months],
                             line_label=_("доля в срок")),
        "on_time": svg.hbar([(c["agency"], c["on_time_share"]) for c in cards["agencies"][:20]],
                            title=_("Доля ответов в срок по ведомствам"), percent=True),
        "per_1000": svg.hbar(sorted(((r["district_label"], r["per_1000"]) for r in district_rows.values()),
                                    key=lambda x: -(x[1] or 0)),
                             title=_("Обращений на 1000 жителей"), color=svg.PALETTE[1]),
    }
    return render_to_string("analytics/report.html", {
        "period": period, "previous": previous, "generated_at": timezone.localtime(now), "kpis": kpis,
        "cards": cards, "charts": charts, "heat_map": heat_html, "heat_note": heat_note, "choropleth": choropleth_html,
        "legend": legend, "hotspots": hotspots_html, "clusters": clusters, "hotspots_note": hotspots_note,
        "kpis_approximate": current_total_approximate,
        "category_changes": category_changes[:8], "district_changes": district_changes[:8],
        "agency_changes": agency_changes[:8],
        "kpi_labels": {"count": _("Поступило"), "answered": _("Дан ответ"), "on_time_share": _("Доля в срок"),
                       "overdue": _("Просрочено"), "median_days": _("Медиана, дней"),
                       "p90_days": _("90-й процентиль, дней"), "redirect_share": _("Доля переадресаций"),
                       "reopened_share": _("Доля возобновлённых"), "satisfaction_avg": _("Средняя оценка"),
                       "rated": _("Оценок"), "per_1000": _("На 1000 жителей")},
        "percent_kpis": {"on_time_share", "redirect_share", "reopened_share"},
    })
