"""Celery tasks of initiative projects: announcing a project's public events to its followers,
and the nightly recount of need scores."""
from __future__ import annotations

from celery import shared_task
from django.apps import apps
from django.core.cache import cache

from inbox.delivery import post_in_app

from .models import ProjectEvent
from .notifications import FOLLOWER_MESSAGES, follower_notice


@shared_task
def notify_project_followers(event_id: int) -> int:
    """One in-app notice (e-mailed later in the subscriptions digest) per follower of the
    event's project, except whoever caused it; once per event even if the task is retried."""
    if not apps.is_installed("infocenter"):
        return 0
    event = ProjectEvent.objects.select_related("project").filter(pk=event_id).first()
    if event is None or event.kind not in FOLLOWER_MESSAGES:
        return 0
    if not cache.add(f"projects:followers:{event.pk}:{event.created_at.timestamp()}", 1, timeout=7 * 24 * 3600):
        return 0
    subscription = apps.get_model("infocenter", "Subscription")
    followers = set(subscription.objects.filter(kind="project", target_id=event.project_id)
                    .values_list("user_id", flat=True))
    followers.discard(event.actor_id or 0)
    return post_in_app(followers, *follower_notice(event))


@shared_task
def refresh_need_scores() -> int:
    """Beat, nightly: recount the appeals near every project still in the contest."""
    from .actions import do_refresh_open_need_scores

    return do_refresh_open_need_scores()
