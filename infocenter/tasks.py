"""Celery tasks of the information centre: entry points for the worker, imported by nothing."""
from __future__ import annotations

from celery import shared_task

from . import announcements


@shared_task
def notify_followers(comment_id: int) -> int:
    """Owed through the outbox by a new comment (``infocenter.discussion``)."""
    return announcements.notify_followers(comment_id)
