"""Celery tasks of the tiles app: the aggregate table behind low-zoom clusters and heatmaps, and
the point table behind unfiltered point tiles."""
from __future__ import annotations

import logging

from celery import shared_task

from . import aggregates, invalidation, preseed

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
    invalidation.invalidate_appeal(appeal_id)


@shared_task
def refresh_appeal_cells(appeal_ids: list[int]) -> int:
    """After appeals change: their cells, point rows and cached tiles (``tiles.invalidation``)."""
    return invalidation.refresh_appeal_cells(appeal_ids)
