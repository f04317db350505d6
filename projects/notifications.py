"""Who hears of what on initiative projects. Called inside actions; delivery happens in the
Celery worker after the transaction commits.

- followers of a project (``infocenter.Subscription`` of kind "project": its author, residents
  who supported it, anyone who follows it or took part in its discussion) hear of its public
  events: review, selection, start of works, stages, completion, answers to control reports;
- the author of a control report hears of the official's answer and of the appeal it became.

The inbox (``inbox``) stores and delivers the notices; the subscriptions belong to the information
centre, looked up through the app registry so projects/ works without it."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.apps import apps
from django.conf import settings
from django.utils import translation

from inbox.delivery import notify_on_commit

from .models import ProjectEvent, ProjectStatus

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


def follower_notice(event: ProjectEvent) -> tuple[str, str]:
    """(title, body) of the notice a public event sends its project's followers: stored
    Russian, whatever language is active."""
    project = event.project
    with translation.override(settings.LANGUAGE_CODE):
        status = str(ProjectStatus(event.to_status).label) if event.to_status else ""
    title = FOLLOWER_MESSAGES[event.kind].format(
        title=project.title[:150], status=status, note=event.note[:100],
        percent=f"{Decimal(str(event.data.get('project_progress', project.progress_percent))).normalize():f}")
    body = event.note if event.kind in ("review", "selection", "withdraw") else ""
    return title, f"/projects/{project.pk}/\n{body}".strip()


def tell(user_id: int, title: str, body: str = "", *, kind: str = "message", appeal_id: int | None = None) -> None:
    """A personal notice (in-app and e-mail by the user's preference), after commit."""
    notify_on_commit([user_id], kind, title, body, appeal_id=appeal_id)
