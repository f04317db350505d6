"""Cache invalidation only (no business logic): connected in ``TilesConfig.ready``."""
from __future__ import annotations

import logging
from typing import Any

import redis
from django.db import DatabaseError

from . import cache
from .invalidation import invalidate_appeal, refresh_appeal_cells

log = logging.getLogger(__name__)


def appeal_changed(sender: Any, appeal_id: int, **kwargs: Any) -> None:
    """An appeal committed a change (in the process that changed it): drop every cached tile
    holding its point, at every zoom and for every filter, right away. With Redis down the drop
    is owed to the outbox and done by the worker once Redis is back."""
    try:
        if "location" in kwargs:  # the point as committed, sent along (issues.actions)
            if kwargs["location"] is not None:
                cache.invalidate_point("appeals", kwargs["location"].x, kwargs["location"].y)
        else:
            invalidate_appeal(appeal_id)
    except (redis.RedisError, OSError):
        log.warning("could not invalidate tiles for appeal %s now; the worker will", appeal_id)
        try:
            from outbox.core import enqueue

            enqueue("tiles.tasks.invalidate_appeal_tiles", appeal_id)
        except DatabaseError:
            log.warning("could not owe the tile invalidation of appeal %s either", appeal_id, exc_info=True)


def appeal_change_delivered(sender: Any, appeal_id: int, **kwargs: Any) -> None:
    """In the worker, from the outbox: the exact refresh of the appeal's aggregate cells and
    point-table rows (which drops its tiles again)."""
    if cache.aggregates_ready():
        refresh_appeal_cells([appeal_id])


def layer_changed(layer: str) -> Any:
    def handler(sender: Any, **kwargs: Any) -> None:
        try:
            cache.bump_layer(layer)
        except redis.RedisError:
            log.warning("could not invalidate the %s tile layer", layer, exc_info=True)

    handler.__name__ = f"invalidate_{layer}_tiles"
    return handler
