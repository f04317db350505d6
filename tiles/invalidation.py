"""Dropping and rewriting what the tiles hold of one changed appeal, for the signal receivers
(``tiles.signals``) and the worker's tasks (``tiles.tasks``) alike: neither imports the other."""
from __future__ import annotations

from issues.models import Appeal

from . import aggregates, cache, conf
from .grid import tiles_for_point


def invalidate_appeal(appeal_id: int) -> None:
    """Drop every cached tile holding the appeal's point (raises while Redis is down)."""
    location = Appeal.objects.filter(pk=appeal_id).values_list("location", flat=True).first()
    if location is not None:
        cache.invalidate_point("appeals", location.x, location.y)


def refresh_appeal_cells(appeal_ids: list[int]) -> int:
    """Rewrite the appeals' cells at every level and their rows of the point table, then drop the
    tiles that were cached from the old rows (a request may have cached one in between)."""
    rewritten = aggregates.refresh_appeals(appeal_ids)
    zooms = range(0, conf.max_zoom() + 1)
    for location in Appeal.objects.filter(pk__in=appeal_ids, location__isnull=False).values_list("location",
                                                                                                 flat=True):
        if location is not None:
            cache.invalidate_tiles("appeals", tiles_for_point(location.x, location.y, zooms))
    return rewritten
