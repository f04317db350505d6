"""Celery tasks of initiative projects: announcing a project's public events to its followers,
and the nightly recount of need scores."""
from __future__ import annotations

from decimal import Decimal

from celery import shared_task
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.utils import translation

from .models import ProjectEvent, ProjectStatus
from .notifications import FOLLOWER_MESSAGES


@shared_task
def notify_project_followers(event_id: int) -> int:
    """One in-app notice (e-mailed later in the subscriptions digest) per follower of the
    event's project, except whoever caused it; once per event even if the task is retried."""
    if not (apps.is_installed("infocenter") and apps.is_installed("issues")):
        return 0
    event = ProjectEvent.objects.select_related("project").filter(pk=event_id).first()
    if event is None or event.kind not in FOLLOWER_MESSAGES:
        return 0
    if not cache.add(f"projects:followers:{event.pk}:{event.created_at.timestamp()}", 1, timeout=7 * 24 * 3600):
        return 0
    subscription = apps.get_model("infocenter", "Subscription")
    notification = apps.get_model("issues", "Notification")
    followers = set(subscription.objects.filter(kind="project", target_id=event.project_id)
                    .values_list("user_id", flat=True))
    followers.discard(event.actor_id or 0)
    project = event.project
    with translation.override(settings.LANGUAGE_CODE):  # stored: Russian whatever language is active
        status = str(ProjectStatus(event.to_status).label) if event.to_status else ""
    title = FOLLOWER_MESSAGES[event.kind].format(
        title=project.title[:150], status=status, note=event.note[:100],
        percent=f"{Decimal(str(event.data.get('project_progress', project.progress_percent))).normalize():f}")
    body = event.note if event.kind in ("review", "selection", "withdraw") else ""
    notification.objects.bulk_create([
        notification(user_id=user_id, kind="subscription", title=title[:300], body=f"/projects/{project.pk}/\n{body}"
                     .strip()[:2000]) for user_id in sorted(followers)])
    return len(followers)


@shared_task
def refresh_need_scores() -> int:
    """Beat, nightly: recount the appeals near every project still in the contest."""
    from .actions import refresh_open_need_scores

    return refresh_open_need_scores()
