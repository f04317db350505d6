"""Celery tasks of the router: the nightly retraining."""
from __future__ import annotations

from typing import Any

from celery import shared_task
from django.conf import settings
from django.utils.module_loading import import_string


def training_rows() -> tuple[list[Any], list[Any], list[Any]]:
    """Call the provider named by ``ROUTER_TRAINING_ROWS`` (imported by string: the router never
    imports the appeals app)."""
    provider = import_string(settings.ROUTER_TRAINING_ROWS)
    rows, labels, times = provider()
    return list(rows), list(labels), list(times)


@shared_task(name="routing.tasks.retrain_nightly")
def retrain_nightly() -> dict[str, Any]:
    """Train a new version on the whole history; activate it only if it is not worse than the
    active one on the same held-out (newest) window."""
    from .registry import train_and_register

    rows, labels, times = training_rows()
    if len(rows) < 5:
        return {"status": "no training data", "rows": len(rows)}
    record = train_and_register(rows, labels, times, activate="if_not_worse")
    return {"status": "trained", "version": record.version, "activated": record.is_active,
            "accuracy": record.metrics.get("accuracy"), "compared_with": record.metrics.get("compared_with")}
