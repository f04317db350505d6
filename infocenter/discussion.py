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
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from geoportal.models import Role
from geoportal.roles import has_role, role_of

from .models import Comment, CommentReport, Subscription

# what infocenter/comments.js says, translated here (the page passes them as JSON)
SCRIPT_TEXTS = {
    "offline": _("Нет связи. Попробуйте ещё раз."), "postFailed": _("Не удалось отправить комментарий."),
    "reportWhat": _("Что не так с комментарием?"), "reportSend": _("Отправить жалобу"),
    "reportSent": _("Жалоба отправлена"), "reportSentLong": _("Жалоба отправлена модератору."),
    "reportFailed": _("Не удалось отправить жалобу."), "reasons": [
        _("Оскорбления"), _("Персональные данные"), _("Спам или реклама"), _("Не по теме")],
    "hideWhy": _("Причина скрытия (видна модераторам)"), "unhideNote": _("Заметка модератора"),
    "hide": _("Скрыть комментарий"), "unhide": _("Вернуть комментарий"), "failed": _("Не удалось."),
    "following": _("Вы следите — отписаться"), "follow": _("Следить за новостями"),
    "followed": _("Вы подписаны: новости придут в «Уведомления»."), "unfollowed": _("Подписка отменена."),
    "deleteConfirm": _("Удалить ваш комментарий? Ответы на него тоже перестанут быть видны."),
}
# moderation notes are stored (moderators read them later, whatever their language): Russian
DELETED_BY_AUTHOR = "удалён автором"
HIDDEN_BY_REPORTS = "скрыт по жалобам"
STAFF_ROLES = (Role.OPERATOR, Role.EXECUTOR, Role.AGENCY_HEAD, Role.MODERATOR, Role.ADMIN)
MODERATORS = (Role.MODERATOR, Role.ADMIN)
HIDE_AFTER_REPORTS = 3


def target_exists(kind: str, target_id: int) -> bool:
    if kind == "appeal":
        from issues.models import Appeal

        return Appeal.objects.public().filter(pk=target_id).exists()
    if kind == "project" and apps.is_installed("projects"):
        try:
            projects = apps.get_model("projects", "Project").objects
            # a draft is its author's business: no thread, no comments, no probing by id
            projects = projects.public() if hasattr(projects, "public") else projects
            return projects.filter(pk=target_id).exists()
        except LookupError:
            return False
    return False


def display_name(comment: Comment) -> str:
    author = comment.author
    if author is None:
        return gettext("Житель")
    if comment.is_official:
        agency = next(iter(author.memberships.all()), None)  # prefetched by the thread
        return (gettext("Официальный ответ: {agency}").format(agency=agency.agency.short_name) if agency
                else gettext("Официальный ответ"))
    profile = getattr(author, "profile", None)
    return (profile.public_name if profile and profile.public_name else "") or gettext("Житель")


@transaction.atomic
def post_comment(*, actor: Any, kind: str, target_id: int, text: str, parent: Comment | None = None,
                 is_question: bool = False) -> Comment:
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied(gettext("Войдите, чтобы комментировать."))
    if kind not in ("appeal", "project") or not target_exists(kind, target_id):
        raise ValidationError({"target": gettext("Нет такого обращения или проекта.")})
    text = (text or "").strip()
    if not 2 <= len(text) <= 3000:
        raise ValidationError({"text": gettext("Комментарий от 2 до 3000 символов.")})
    if parent is not None and (parent.kind != kind or parent.target_id != target_id or parent.parent_id):
        raise ValidationError({"parent": gettext("Ответить можно на комментарий этого же обсуждения (два уровня).")})
    official = bool(parent and parent.is_question and can_answer_officially(actor, kind, target_id))
    comment = Comment.objects.create(kind=kind, target_id=target_id, author=actor, text=text, parent=parent,
                                     is_question=is_question and parent is None, is_official=official)
    if official and parent is not None:
        Comment.objects.filter(pk=parent.pk).update(answered_at=timezone.now())
    Subscription.objects.get_or_create(user=actor, kind=kind, target_id=target_id)
    from outbox.core import enqueue

    enqueue("infocenter.tasks.notify_followers", comment.pk)  # delivered after commit, once
    return comment


@transaction.atomic
def report_comment(*, actor: Any, comment: Comment, reason: str) -> CommentReport:
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied(gettext("Войдите, чтобы пожаловаться."))
    if not reason.strip():
        raise ValidationError({"reason": gettext("Укажите причину.")})
    report, _created = CommentReport.objects.get_or_create(comment=comment, reporter=actor,
                                                    defaults={"reason": reason.strip()[:300]})
    if comment.reports.count() >= HIDE_AFTER_REPORTS and not comment.is_hidden:
        Comment.objects.filter(pk=comment.pk).update(is_hidden=True, moderation_note=HIDDEN_BY_REPORTS)
    return report


@transaction.atomic
def moderate_comment(*, actor: Any, comment: Comment, hidden: bool, note: str) -> Comment:
    if not can_moderate(actor):
        raise PermissionDenied(gettext("Скрывать и возвращать комментарии могут только модераторы."))
    comment.is_hidden = hidden
    comment.moderation_note = note.strip()
    comment.save(update_fields=["is_hidden", "moderation_note"])
    return comment


@transaction.atomic
def delete_own_comment(*, actor: Any, comment: Comment) -> Comment:
    """The author takes their comment down (it is hidden, not erased: moderators still see it,
    marked «удалён автором», and complaints about it stay on record). A question counts as
    answered only while an official answer to it is visible."""
    if not (actor and actor.is_authenticated and comment.author_id == actor.pk):
        raise PermissionDenied(gettext("Удалить комментарий может только его автор."))
    comment = Comment.objects.select_for_update().get(pk=comment.pk)
    if comment.is_hidden:
        return comment
    comment.is_hidden = True
    comment.moderation_note = DELETED_BY_AUTHOR
    comment.save(update_fields=["is_hidden", "moderation_note"])
    if comment.is_official and comment.parent_id is not None and not Comment.objects.filter(
            parent_id=comment.parent_id, is_official=True, is_hidden=False).exists():
        Comment.objects.filter(pk=comment.parent_id).update(answered_at=None)
    return comment


def _followable(kind: str, target_id: int) -> bool:
    from geoportal.models import District
    from issues.models import Category

    if kind == "district":
        return District.objects.filter(pk=target_id).exists()
    if kind == "category":
        return Category.objects.filter(pk=target_id).exists()
    return target_exists(kind, target_id)


@transaction.atomic
def subscribe(*, actor: Any, kind: str, target_id: int, on: bool = True) -> bool:
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied(gettext("Войдите, чтобы подписаться."))
    if kind not in dict(Subscription.Kind.choices):
        kinds = ", ".join(Subscription.Kind.values)
        raise ValidationError({"kind": gettext("Подписка на: {kinds}.").format(kinds=kinds)})
    if on and not _followable(kind, target_id):
        raise ValidationError({"target_id": gettext("Нет такого объекта.")})
    if on:
        Subscription.objects.get_or_create(user=actor, kind=kind, target_id=target_id)
    else:
        Subscription.objects.filter(user=actor, kind=kind, target_id=target_id).delete()
    return on


def shown_note(note: str) -> str:
    """A moderation note as a moderator reads it: the portal's own notes (stored in Russian) in
    the page's language, a moderator's own words as written."""
    if note == DELETED_BY_AUTHOR:
        return gettext("удалён автором")
    if note == HIDDEN_BY_REPORTS:
        return gettext("скрыт по жалобам")
    return note


def can_moderate(user: Any) -> bool:
    return has_role(user, *MODERATORS)


def agency_in_charge(kind: str, target_id: int) -> int | None:
    """The agency that answers for the target: an appeal's responsible agency, a project's
    implementing agency (None while there is none)."""
    if kind == "appeal":
        from issues.models import Appeal

        return Appeal.objects.filter(pk=target_id).values_list("responsible_agency_id", flat=True).first()
    if kind == "project" and apps.is_installed("projects"):
        project_model = apps.get_model("projects", "Project")
        if any(f.name == "implementing_agency" for f in project_model._meta.get_fields()):
            return project_model.objects.filter(pk=target_id).values_list("implementing_agency_id", flat=True).first()
    return None


def can_answer_officially(user: Any, kind: str, target_id: int) -> bool:
    """An «Официальный ответ» speaks for the agency in charge: only its staff (and the
    portal's administrators) may give one; other agencies' staff comment like anyone else."""
    role = role_of(user)
    if role == Role.ADMIN:
        return True
    if role not in STAFF_ROLES:
        return False
    agency_id = agency_in_charge(kind, target_id)
    return agency_id is not None and agency_id in user.agency_ids()


def public_comment_text(kind: str, target_id: int) -> Any:
    """A function that makes a comment's text fit for the public: on an appeal, the author's
    name and contacts are redacted (an official who greets «Мария Петровна» by name, a neighbour
    who quotes the phone) exactly as in the appeal's own public text."""
    if kind != "appeal":
        return lambda text: text
    from issues.access import personal_redactor
    from issues.models import Appeal

    appeal = Appeal.objects.select_related("author__profile").filter(pk=target_id).first()
    if appeal is None:
        return lambda text: text
    return personal_redactor(appeal)


def comment_thread_context(request: Any, kind: str, target_id: int) -> dict[str, Any] | None:
    """What ``infocenter/_comments.html`` renders: the thread of a public appeal or a project,
    two levels deep, with what the viewer may do. ``None`` when the target takes no comments
    (a private or hidden appeal). Hidden comments are shown to moderators only, marked."""
    if not target_exists(kind, target_id):
        return None
    user = request.user
    moderator = can_moderate(user)
    queryset = (Comment.objects.filter(kind=kind, target_id=target_id)
                .select_related("author__profile").prefetch_related("author__memberships__agency"))
    if not moderator:
        queryset = queryset.filter(is_hidden=False)
    clean = public_comment_text(kind, target_id)
    items: dict[int, dict[str, Any]] = {}
    roots: list[dict[str, Any]] = []
    for comment in queryset:
        author = display_name(comment)
        if comment.is_official:  # the badge says «Официальный ответ»; the name line keeps the agency
            author = author.removeprefix(gettext("Официальный ответ")).lstrip(": ") or author
        item = {"id": comment.pk, "author": author, "text": clean(comment.text),
                "created_at": comment.created_at, "is_question": comment.is_question,
                "is_official": comment.is_official, "answered": comment.answered_at is not None,
                "hidden": comment.is_hidden, "note": shown_note(comment.moderation_note), "replies": [],
                "own": bool(user.is_authenticated and comment.author_id == user.pk)}
        items[comment.pk] = item
        if comment.parent_id is None:
            roots.append(item)
        elif comment.parent_id in items:
            items[comment.parent_id]["replies"].append(item)
    for root in roots:  # a question counts as answered while an official answer to it is visible
        root["answered"] = any(r["is_official"] and not r["hidden"] for r in root["replies"])
    following = (Subscription.objects.filter(user=user, kind=kind, target_id=target_id).values_list("pk", flat=True)
                 .first() if user.is_authenticated else None)
    return {"kind": kind, "target_id": target_id, "comments": roots, "count": len(items), "following": following,
            "texts": {key: [str(t) for t in text] if isinstance(text, list) else str(text)
                      for key, text in SCRIPT_TEXTS.items()},
            "signed_in": user.is_authenticated, "can_moderate": moderator,
            "can_answer": can_answer_officially(user, kind, target_id),
            "login_url": f"/accounts/login/?next={request.path}"}
