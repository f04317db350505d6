"""Cache invalidation only (no business logic): connected in ``TilesConfig.ready``."""
from __future__ import annotations

import logging
from typing import Any

import redis

from . import cache

log = logging.getLogger(__name__)


def appeal_changed(sender: Any, appeal_id: int, **kwargs: Any) -> None:
    """An appeal committed a change (in the process that changed it): drop every cached tile
    holding its point, at every zoom and for every filter, right away."""
    from issues.models import Appeal

    location = Appeal.objects.filter(pk=appeal_id).values_list("location", flat=True).first()
    if location is None:
        return
    try:
        cache.invalidate_point("appeals", location.x, location.y)
    except (redis.RedisError, OSError):
        # The worker drops them again (appeal_change_delivered) and the cache TTL is the backstop.
        log.warning("could not invalidate tiles for appeal %s", appeal_id, exc_info=True)


def appeal_change_delivered(sender: Any, appeal_id: int, **kwargs: Any) -> None:
    """In the worker, from the outbox: the exact refresh of the appeal's aggregate cells and
    point-table rows (which drops its tiles again: Redis may have been down at commit)."""
    from .tasks import refresh_appeal_cells

    if cache.aggregates_ready():
        refresh_appeal_cells([appeal_id])
    else:
        appeal_changed(sender, appeal_id)


def layer_changed(layer: str) -> Any:
    def handler(sender: Any, **kwargs: Any) -> None:
        try:
            cache.bump_layer(layer)
        except redis.RedisError:
            log.warning("could not invalidate the %s tile layer", layer, exc_info=True)

    handler.__name__ = f"invalidate_{layer}_tiles"
    return handler
