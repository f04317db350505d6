"""Who hears of what on initiative projects. Called inside actions; delivery happens in the
Celery worker after the transaction commits.

- followers of a project (``infocenter.Subscription`` of kind "project": its author, residents
  who supported it, anyone who follows it or took part in its discussion) hear of its public
  events: review, selection, start of works, stages, completion, answers to control reports;
- the author of a control report hears of the official's answer and of the appeal it became.

The inbox itself (``issues.Notification``) belongs to the appeals app; the subscriptions to the
information centre. Both are looked up through the app registry so projects/ works without them."""
from __future__ import annotations

from typing import Any

from django.apps import apps

from .models import ProjectEvent

# event kind -> what followers read (None: not announced)
FOLLOWER_MESSAGES: dict[str, str] = {
    "review": "Проект «{title}»: {status}",
    "selection": "Проект «{title}»: {status}",
    "start": "Проект «{title}»: начата реализация",
    "milestone": "Проект «{title}»: этап «{note}» — {percent} % проекта выполнено",
    "complete": "Проект «{title}» реализован",
    "withdraw": "Проект «{title}» отозван автором",
    "control_answer": "Проект «{title}»: дан ответ на отчёт жителя о контроле",
    "control_appeal": "Проект «{title}»: отчёт жителя о контроле передан как обращение",
}


def follow(user: Any, project_id: int) -> None:
    """Subscribe a resident to a project's news (idempotent)."""
    if user is None or not getattr(user, "pk", None) or not apps.is_installed("infocenter"):
        return
    subscription = apps.get_model("infocenter", "Subscription")
    subscription.objects.get_or_create(user=user, kind="project", target_id=project_id)


def event_recorded(event: ProjectEvent) -> None:
    """Announce a public project event to its followers once the transaction commits."""
    if event.kind not in FOLLOWER_MESSAGES:
        return
    from outbox.core import enqueue

    enqueue("projects.tasks.notify_project_followers", event.pk)  # delivered after commit, once


def tell(user_id: int, title: str, body: str = "", *, kind: str = "message", appeal_id: int | None = None) -> None:
    """A personal notice (in-app and e-mail by the user's preference) through the appeals app's
    delivery task, after commit."""
    if not apps.is_installed("issues"):
        return
    from outbox.core import enqueue

    enqueue("issues.tasks.deliver_notification", user_id, appeal_id, kind, title[:300], body[:2000])
