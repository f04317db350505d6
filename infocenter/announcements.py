"""What followers hear, composed from the rows that changed: a discussion's new comment, an
appeal's latest public event (its subscribers, and for a new appeal those of its district or
category). Stored in the inbox (``inbox.delivery.post_in_app``; the daily e-mail digest is
``inbox.tasks.send_digests``). Runs in the Celery worker: ``notify_followers`` from the task of
that name, ``notify_appeal_subscribers`` from the appeal's change follow-up (``signals``)."""
from __future__ import annotations

from django.core.cache import cache
from django.db.models import Q

from inbox.delivery import post_in_app
from issues.models import Appeal

from .models import Comment, Subscription


def notify_followers(comment_id: int) -> int:
    comment = Comment.objects.filter(pk=comment_id, is_hidden=False).first()
    if comment is None:
        return 0
    followers = set(Subscription.objects.filter(kind=comment.kind, target_id=comment.target_id)
                    .exclude(user_id=comment.author_id or 0).values_list("user_id", flat=True))
    # an appeal by its registration number, as its page shows it; a project by its number (the pk)
    where = (f"обращению {Appeal.objects.filter(pk=comment.target_id).values_list('number', flat=True).first()}"
             if comment.kind == "appeal" else f"проекту №{comment.target_id}")
    label = "Официальный ответ" if comment.is_official else "Новый комментарий"
    # the copy a follower receives is the thread's public text: on an appeal the author's name
    # and contacts are redacted exactly as on the page (infocenter.discussion)
    from .discussion import public_comment_text

    text = public_comment_text(comment.kind, comment.target_id)(comment.text)
    return post_in_app(followers, f"{label} к {where}", text[:300],
                       appeal_id=comment.target_id if comment.kind == "appeal" else None)


def notify_appeal_subscribers(appeal_id: int) -> int:
    """Once per public status event: subscribers of the appeal hear of every change; those of
    its district or category hear of new appeals (registration)."""
    appeal = Appeal.objects.public().select_related("category", "district").filter(pk=appeal_id).first()
    if appeal is None:
        return 0
    event = appeal.events.filter(is_public=True).exclude(to_status="").order_by("-created_at", "-id").first()
    if event is None:
        return 0
    # ids can repeat after a demo re-seed (RESTART IDENTITY): key on the event's time too
    once = f"subscriptions:event:{appeal.pk}:{event.pk}:{event.created_at.timestamp()}"
    if not cache.add(once, 1, timeout=7 * 24 * 3600):
        return 0
    who = Q(kind=Subscription.Kind.APPEAL, target_id=appeal.pk)
    if event.kind in ("register", "route") and not appeal.events.filter(kind="route").exclude(pk=event.pk).exists():
        category_ids = [c.pk for c in appeal.category.lineage()]
        who |= Q(kind=Subscription.Kind.CATEGORY, target_id__in=category_ids)
        if appeal.district_id:
            who |= Q(kind=Subscription.Kind.DISTRICT, target_id=appeal.district_id)
    users = set(Subscription.objects.filter(who).values_list("user_id", flat=True))
    users.discard(appeal.author_id or 0)
    return post_in_app(users, f"{appeal.number}: {appeal.get_status_display()} — {appeal.category.name}",
                       appeal.address, appeal_id=appeal.pk)
