"""Hotspots of the default window computed in the background and served from the stored result.

Clustering every appeal of the last 30 days (ST_ClusterDBSCAN) takes about 35 s at ten million
appeals (400,000 points): longer than a request may hold a connection. The public statistics
page and the API without ``until``, ``category`` or ``district`` ask for exactly that window,
so a periodic task (``analytics.tasks.snapshot_hotspots``, beat) computes it for both scopes
and the request reads the newest result younger than ``ANALYTICS_HOTSPOTS_MAX_AGE_S``. The
figures are exact as of the snapshot's ``until``; the answer says when (``as_of``), and the page
shows it. Any other window is computed live."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils import timezone

from geoportal.i18n import english_page
from issues.models import Category

from .models import HotspotSnapshot

LIMIT = 50  # clusters kept: the API's default limit; the page asks for 6
# A hotspot's core: at least this many times the points an eps-disc holds on average over the
# territory in the window (analytics.sql.picture.hotspots_sql); 0: minpoints alone.
DENSITY = 5.0


def options() -> dict[str, Any]:
    """The default window: days, eps (metres), minpoints."""
    return {"days": 30, "eps": 100.0, "minpoints": 20, "density": DENSITY,
            **getattr(settings, "ANALYTICS_HOTSPOTS_DEFAULTS", {})}


def max_age() -> dt.timedelta:
    return dt.timedelta(seconds=int(getattr(settings, "ANALYTICS_HOTSPOTS_MAX_AGE_S", 1800)))


def _relabel(result: dict[str, Any]) -> dict[str, Any]:
    """Category names in the page's language (the task stored the Russian ones)."""
    ids = {d["category_id"] for c in result["clusters"] for d in c["dominant_categories"]}
    names = {c.pk: c.name_en if english_page() and c.name_en else c.name
             for c in Category.objects.filter(pk__in=ids).only("name", "name_en")}
    for cluster in result["clusters"]:
        for item in cluster["dominant_categories"]:
            item["category"] = names.get(item["category_id"], item["category"])
    return result


def stored(raw: Mapping[str, Any], *, public: bool, days: int, eps: float, minpoints: int, density: float,
           limit: int) -> dict[str, Any] | None:
    """The stored answer to this request, when it asks for the default window and a fresh one
    exists; None: compute it live."""
    default = options()
    if (any(raw.get(name) for name in ("until", "category", "district")) or limit > LIMIT
            or (days, eps, minpoints, density) != (default["days"], float(default["eps"]), default["minpoints"],
                                                   float(default["density"]))):
        return None
    snapshot = (HotspotSnapshot.objects.filter(public=public, computed_at__gte=timezone.now() - max_age())
                .order_by("-computed_at").first())
    if snapshot is None:
        return None
    result = dict(snapshot.result)
    result["clusters"] = result["clusters"][:limit]
    result["as_of"] = snapshot.computed_at.isoformat()
    return _relabel(result) if result["clusters"] else result


def take(compute: Any) -> int:
    """Compute the default window now for both scopes (``compute``: analytics.insights.hotspots)
    and keep only the newest snapshot of each; returns the clusters stored."""
    default, now = options(), timezone.now()
    raw = {"days": str(default["days"]), "eps": str(default["eps"]), "minpoints": str(default["minpoints"]),
           "density": str(default["density"]), "limit": str(LIMIT), "until": now.isoformat()}
    stored_clusters = 0
    for public in (True, False):
        result = compute(raw, public=public)
        HotspotSnapshot.objects.create(public=public, computed_at=now, result=result)
        HotspotSnapshot.objects.filter(public=public, computed_at__lt=now).delete()
        stored_clusters += len(result["clusters"])
    return stored_clusters
