"""Template tags for talking to each other, usable from any app's pages:

- ``{% comment_thread "appeal" appeal.pk %}`` / ``{% comment_thread "project" project.pk %}``
  renders the comment thread (``infocenter/_comments.html``) with what the viewer may do;
- ``{% unread_notifications as n %}`` the signed-in user's unread notifications (0 otherwise)."""
from __future__ import annotations

from typing import Any

from django import template

from ..discussion import comment_thread_context

register = template.Library()


@register.inclusion_tag("infocenter/_comments.html", takes_context=True)
def comment_thread(context: template.Context, kind: str, target_id: int) -> dict[str, Any]:
    request = context["request"]
    return {"thread": comment_thread_context(request, kind, int(target_id)), "request": request,
            "csrf_token": context.get("csrf_token")}


@register.simple_tag(takes_context=True)
def unread_notifications(context: template.Context) -> int:
    from inbox.models import Notification

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
