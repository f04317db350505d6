"""Celery tasks of the analytics app."""
from __future__ import annotations

import logging

from celery import shared_task

from . import hotspot_snapshots, insights

log = logging.getLogger(__name__)


@shared_task
def snapshot_hotspots() -> int:
    """Periodic (beat): the hotspots of the default window for both scopes, stored for the
    requests that ask for it (:mod:`analytics.hotspot_snapshots`); returns the clusters stored."""
    stored = hotspot_snapshots.take(insights.hotspots)
    log.info("hotspot snapshots taken: %s clusters", stored)
    return stored
