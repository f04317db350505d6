"""The outbox's Celery tasks: carry out one message; sweep (for deployments that prefer beat)."""
from __future__ import annotations

from typing import Any

from celery import shared_task
from django.db import close_old_connections

from . import core


@shared_task(bind=True, ignore_result=True, max_retries=50, soft_time_limit=240, time_limit=300)
def dispatch(self: Any, message_id: int) -> str:
    try:
        return core.run(message_id)
    except core.CONNECTION_ERRORS as exc:
        # The database went away mid-message: what committed stays done; try the rest soon.
        close_old_connections()
        raise self.retry(exc=exc, countdown=min(60, 2 ** self.request.retries)) from exc


@shared_task(ignore_result=True)
def sweep() -> int:
    return core.sweep()
