"""Talking to each other: threaded comments on public appeals and on projects, questions to
officials with official answers, abuse reports and moderation, subscriptions.

Comment authors are shown by the public name they chose in their profile, else «Житель»;
officials are shown by their agency. Writes go through the functions here."""
from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from geoportal.models import Role

from .models import Comment, CommentReport, Subscription

STAFF_ROLES = (Role.OPERATOR, Role.EXECUTOR, Role.AGENCY_HEAD, Role.MODERATOR, Role.ADMIN)
MODERATORS = (Role.MODERATOR, Role.ADMIN)
HIDE_AFTER_REPORTS = 3


def target_exists(kind: str, target_id: int) -> bool:
    if kind == "appeal":
        from issues.models import Appeal

        return Appeal.objects.public().filter(pk=target_id).exists()
    if kind == "project" and apps.is_installed("projects"):
        try:
            return apps.get_model("projects", "Project").objects.filter(pk=target_id).exists()
        except LookupError:
            return False
    return False


def display_name(comment: Comment) -> str:
    author = comment.author
    if author is None:
        return "Житель"
    if comment.is_official:
        agency = author.memberships.select_related("agency").first()
        return f"Официальный ответ: {agency.agency.short_name}" if agency else "Официальный ответ"
    profile = getattr(author, "profile", None)
    return (profile.public_name if profile and profile.public_name else "") or "Житель"


@transaction.atomic
def post_comment(*, actor: Any, kind: str, target_id: int, text: str, parent: Comment | None = None,
                 is_question: bool = False) -> Comment:
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied("sign in to comment")
    if kind not in ("appeal", "project") or not target_exists(kind, target_id):
        raise ValidationError({"target": "Нет такого обращения или проекта."})
    text = (text or "").strip()
    if not 2 <= len(text) <= 3000:
        raise ValidationError({"text": "Комментарий от 2 до 3000 символов."})
    if parent is not None and (parent.kind != kind or parent.target_id != target_id or parent.parent_id):
        raise ValidationError({"parent": "Ответить можно на комментарий этого же обсуждения (два уровня)."})
    official = bool(parent and parent.is_question and (actor.is_superuser or actor.role in STAFF_ROLES))
    comment = Comment.objects.create(kind=kind, target_id=target_id, author=actor, text=text, parent=parent,
                                     is_question=is_question and parent is None, is_official=official)
    if official and parent is not None:
        Comment.objects.filter(pk=parent.pk).update(answered_at=timezone.now())
    Subscription.objects.get_or_create(user=actor, kind=kind, target_id=target_id)
    from .tasks import notify_followers

    transaction.on_commit(lambda: notify_followers.delay(comment.pk))
    return comment


@transaction.atomic
def report_comment(*, actor: Any, comment: Comment, reason: str) -> CommentReport:
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied("sign in to report")
    if not reason.strip():
        raise ValidationError({"reason": "Укажите причину."})
    report, _ = CommentReport.objects.get_or_create(comment=comment, reporter=actor,
                                                    defaults={"reason": reason.strip()[:300]})
    if comment.reports.count() >= HIDE_AFTER_REPORTS and not comment.is_hidden:
        Comment.objects.filter(pk=comment.pk).update(is_hidden=True, moderation_note="скрыт по жалобам")
    return report


@transaction.atomic
def moderate_comment(*, actor: Any, comment: Comment, hidden: bool, note: str) -> Comment:
    if not (actor and actor.is_authenticated and (actor.is_superuser or actor.role in MODERATORS)):
        raise PermissionDenied("moderators only")
    comment.is_hidden = hidden
    comment.moderation_note = note.strip()
    comment.save(update_fields=["is_hidden", "moderation_note"])
    return comment


@transaction.atomic
def subscribe(*, actor: Any, kind: str, target_id: int, on: bool = True) -> bool:
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied("sign in to subscribe")
    if kind not in dict(Subscription.Kind.choices):
        raise ValidationError({"kind": f"Подписка на: {', '.join(Subscription.Kind.values)}."})
    if on:
        Subscription.objects.get_or_create(user=actor, kind=kind, target_id=target_id)
    else:
        Subscription.objects.filter(user=actor, kind=kind, target_id=target_id).delete()
    return on
