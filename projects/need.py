"""Need score: how many appeals of related categories residents filed near a project in the
last 12 months ("the budget follows citizens' real needs").

The appeals live in the ``issues`` app. This module does not import it: the counting function
is handed in with :func:`register_appeal_counter` (wired where both apps are known, e.g. the
appeals app's ``AppConfig.ready``). Until one is registered the score is unknown (None), never
guessed."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from django.contrib.gis.geos import GEOSGeometry
from django.utils import timezone

# (geometry, radius in metres, appeal category codes, since) -> number of appeals
AppealCounter = Callable[[GEOSGeometry, float, Sequence[str], dt.datetime], int]

DEFAULT_RADIUS_M = 500.0
WINDOW = dt.timedelta(days=365)

# project category -> appeal category codes (issues' category tree; a code counts its
# subcategories too) that signal the same need
RELATED_CATEGORIES: dict[str, tuple[str, ...]] = {
    "roads": ("roads",),
    "yards": ("yards", "light-yard", "waste-container"),
    "lighting": ("lighting",),
    "greenery": ("greenery",),
    "sport": ("yard-playground",),
    "accessibility": ("social-accessibility", "roads-sidewalk"),
    "waste": ("waste",),
}

_counter: AppealCounter | None = None


def register_appeal_counter(counter: AppealCounter | None) -> None:
    global _counter
    _counter = counter


def need_score(geometry: GEOSGeometry | None, category: str, *, radius_m: float = DEFAULT_RADIUS_M,
               now: dt.datetime | None = None) -> int | None:
    """Appeals of the categories related to ``category`` within ``radius_m`` of the project's
    geometry over the last 12 months; None when unknown (no geometry or no counter wired)."""
    if geometry is None or _counter is None:
        return None
    codes = RELATED_CATEGORIES.get(category, (category,) if category else ())
    if not codes:
        return None
    return _counter(geometry, radius_m, codes, (now or timezone.now()) - WINDOW)
