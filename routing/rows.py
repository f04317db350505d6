"""The plain row the router sees: the appeals app (or a CSV) builds it; the router never imports
the appeals app."""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass


@dataclass(frozen=True)
class RoutingRow:
    """One appeal as the router sees it. Every field but ``text`` may be missing."""

    appeal_id: int | None
    text: str
    category_code: str | None = None
    category_path: tuple[str, ...] = ()  # the category and its parents, nearest first
    lat: float | None = None
    lon: float | None = None
    district_code: str | None = None
    jurisdiction_agency_ids: tuple[int, ...] = ()
    channel: str | None = None
    received_at: dt.datetime | None = None

    @property
    def has_point(self) -> bool:
        return (self.lat is not None and self.lon is not None
                and math.isfinite(self.lat) and math.isfinite(self.lon))

