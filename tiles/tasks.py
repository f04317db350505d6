"""Celery tasks of the tiles app: the aggregate table behind low-zoom clusters and heatmaps, and
the point table behind unfiltered point tiles."""
from __future__ import annotations

import logging

from celery import shared_task

from . import aggregates, cache, conf, preseed
from .grid import tiles_for_point

log = logging.getLogger(__name__)


@shared_task
def refresh_appeal_aggregates() -> int:
    """Periodic (beat): rebuild the aggregate, point and per-status cell tables from the appeals,
    then pre-seed the cache with the low-zoom tiles (the rebuild emptied the layer's cache);
    returns the aggregate row count."""
    rows = aggregates.rebuild_all()  # committed here: the tables are marked ready
    seeded = preseed.preseed()
    log.info("appeal cell aggregates rebuilt: %s rows; %s low-zoom tiles pre-seeded", rows, seeded)
    return rows


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=8)
def invalidate_appeal_tiles(appeal_id: int) -> None:
    """Owed through the outbox when Redis was down as the appeal changed; raises while it still is
    (the outbox tries again with backoff)."""
    from .signals import invalidate_appeal

    invalidate_appeal(appeal_id)


@shared_task
def refresh_appeal_cells(appeal_ids: list[int]) -> int:
    """After appeals change: rewrite their cells at every level and their rows of the point
    table, then drop the tiles that were cached from the old rows (a request may have cached
    one in between)."""
    from issues.models import Appeal

    rewritten = aggregates.refresh_appeals(appeal_ids)
    zooms = range(0, conf.max_zoom() + 1)
    for location in Appeal.objects.filter(pk__in=appeal_ids, location__isnull=False).values_list("location",
                                                                                                 flat=True):
        if location is not None:
            cache.invalidate_tiles("appeals", tiles_for_point(location.x, location.y, zooms))
    return rewritten
