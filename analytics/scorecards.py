"""Agency scorecards: per agency and period the published indicators, a composite rating with
published weights, a league table and a 12-month trend. Built on the pivot (two statements:
the period's figures and the monthly trend)."""
from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .params import Period, PivotSpec
from .pivot import run_pivot
from .sql import Filters

# Weights of the composite rating (sum need not be 1: the rating divides by the weights of the
# components an agency has). Override with settings.ANALYTICS_SCORECARD_WEIGHTS.
DEFAULT_WEIGHTS: dict[str, float] = {
    "on_time": 0.35,
    "satisfaction": 0.25,
    "speed": 0.15,
    "routing": 0.10,
    "reopened": 0.10,
    "repeated": 0.05,
}
COMPONENTS: dict[str, str | Promise] = {
    "on_time": _("доля ответов в срок (0…1)"),
    "satisfaction": _("средняя оценка заявителей, приведённая к 0…1: (оценка − 1) / 4; учитывается при "
                      "не менее чем {min_rated} оценках"),
    "speed": _("скорость: 1 − медиана дней до ответа / 30 (не меньше 0)"),
    "routing": _("1 − доля переадресованных (ошибки маршрутизации)"),
    "reopened": _("1 − доля возобновлённых после низкой оценки"),
    "repeated": _("1 − доля повторных обращений"),
}
SCORECARD_METRICS = ["count", "on_time_share", "median_days", "overdue", "redirect_share", "repeated_share",
                     "reopened_share", "satisfaction_avg", "rated"]
TREND_METRICS = ["count", "on_time_share", "satisfaction_avg"]
SPEED_NORM_DAYS = 30.0


def weights() -> dict[str, float]:
    return dict(getattr(settings, "ANALYTICS_SCORECARD_WEIGHTS", DEFAULT_WEIGHTS))


def min_volume() -> int:
    return int(getattr(settings, "ANALYTICS_SCORECARD_MIN_VOLUME", 10))


def min_rated() -> int:
    return int(getattr(settings, "ANALYTICS_SCORECARD_MIN_RATED", 5))


def components_doc() -> dict[str, str]:
    return {name: str(text).format(min_rated=min_rated()) for name, text in COMPONENTS.items()}


def components_of(row: dict[str, Any]) -> dict[str, float | None]:
    median = row.get("median_days")
    satisfaction = row.get("satisfaction_avg")
    return {
        "on_time": row.get("on_time_share"),
        "satisfaction": (satisfaction - 1) / 4 if satisfaction is not None and (row.get("rated") or 0) >= min_rated()
        else None,
        "speed": max(0.0, 1 - median / SPEED_NORM_DAYS) if median is not None else None,
        "routing": 1 - row["redirect_share"] if row.get("redirect_share") is not None else None,
        "reopened": 1 - row["reopened_share"] if row.get("reopened_share") is not None else None,
        "repeated": 1 - row["repeated_share"] if row.get("repeated_share") is not None else None,
    }


def composite(parts: dict[str, float | None], weights_: dict[str, float]) -> float | None:
    """100 × Σ wᵢcᵢ / Σ wᵢ over the components present."""
    present = [(weights_[name], value) for name, value in parts.items() if value is not None and weights_.get(name)]
    total_weight = sum(w for w, _v in present)
    if not total_weight:
        return None
    return round(100 * sum(w * v for w, v in present) / total_weight, 1)


def _month_starts(end: dt.datetime, count: int) -> list[str]:
    year, month = end.year, end.month
    months = []
    for _step in range(count):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        months.append(f"{year}-{month:02d}")
    return months[::-1]


def appeals_url(agency_id: int, period: Period, *, public: bool) -> str:
    query = {"agency": agency_id, "received_after": period.start.isoformat(),
             "received_before": period.end.isoformat()}
    if not public:
        query["scope"] = "work"
    return f"/api/v1/appeals/?{urlencode(query)}"


def scorecards(period: Period, *, public: bool, now: dt.datetime | None = None) -> dict[str, Any]:
    current = run_pivot(PivotSpec(rows=["agency"], metrics=SCORECARD_METRICS,
                                  filters=Filters(received_from=period.start, received_to=period.end)),
                        public=public, now=now)
    months = _month_starts(period.end, 12)
    trend_start = period.start.replace(year=int(months[0][:4]), month=int(months[0][5:]), day=1)
    trend = run_pivot(PivotSpec(rows=["agency"], cols=["month"], metrics=TREND_METRICS,
                                filters=Filters(received_from=trend_start, received_to=period.end)),
                      public=public, now=now)
    by_agency: dict[int, dict[str, dict[str, Any]]] = {}
    for cell in trend.records:
        if cell["level"] == "cell" and cell["agency"] is not None:
            by_agency.setdefault(cell["agency"], {})[cell["month"]] = {m: cell[m] for m in TREND_METRICS}
    w = weights()
    rows = []
    for record in current.records:
        if record["level"] != "row" or record["agency"] is None:
            continue
        parts = components_of(record)
        agency_trend = by_agency.get(record["agency"], {})
        rows.append({
            "agency_id": record["agency"], "agency": record["agency_label"],
            "volume": record["count"], **{m: record[m] for m in SCORECARD_METRICS if m != "count"},
            "components": {k: (round(v, 4) if v is not None else None) for k, v in parts.items()},
            "composite": composite(parts, w),
            "ranked": record["count"] >= min_volume(),
            "trend": [{"month": m, **agency_trend.get(m, {"count": 0, "on_time_share": None,
                                                            "satisfaction_avg": None})} for m in months],
            "appeals_url": appeals_url(record["agency"], period, public=public),
        })
    rows.sort(key=lambda r: (not r["ranked"], -(r["composite"] if r["composite"] is not None else -1),
                             r["agency"]))
    rank = 0
    for row in rows:
        row["rank"] = (rank := rank + 1) if row["ranked"] and row["composite"] is not None else None
    total = current.total
    return {
        "period": period.code, "period_label": period.label, "start": period.start.isoformat(),
        "end": period.end.isoformat(), "scope": current.scope, "weights": w, "components": components_doc(),
        "min_volume": min_volume(), "months": months, "agencies": rows,
        # medians from the answer-time histograms (the pages say so in a footnote)
        "approximate": current.approximate,
        "total": {"volume": total["count"], **{m: total[m] for m in SCORECARD_METRICS if m != "count"}},
    }
