"""Cache invalidation only (no business logic): connected in ``TilesConfig.ready``."""
from __future__ import annotations

import logging
from typing import Any

import redis

from . import cache

log = logging.getLogger(__name__)


def appeal_changed(sender: Any, appeal_id: int, **kwargs: Any) -> None:
    """An appeal committed a change: drop every cached tile holding its point, at every zoom
    and for every filter; queue the exact refresh of its aggregate cells."""
    from issues.models import Appeal

    location = Appeal.objects.filter(pk=appeal_id).values_list("location", flat=True).first()
    if location is None:
        return
    try:
        cache.invalidate_point("appeals", location.x, location.y)
        if cache.aggregates_ready():
            from .tasks import refresh_appeal_cells

            refresh_appeal_cells.delay([appeal_id])
    except (redis.RedisError, OSError):
        # The periodic rebuild and the cache TTL repair what could not be done now.
        log.warning("could not invalidate tiles for appeal %s", appeal_id, exc_info=True)


def layer_changed(layer: str) -> Any:
    def handler(sender: Any, **kwargs: Any) -> None:
        try:
            cache.bump_layer(layer)
        except redis.RedisError:
            log.warning("could not invalidate the %s tile layer", layer, exc_info=True)

    handler.__name__ = f"invalidate_{layer}_tiles"
    return handler
