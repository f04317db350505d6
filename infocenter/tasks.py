"""Delivery for the information centre: followers of a discussion, subscribers of an appeal,
a district or a category, and the daily e-mail digest. Runs in the Celery worker."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db.models import Q
from django.utils import timezone

from issues.models import Appeal, Notification, NotificationKind, NotificationPreference

from .models import Comment, Subscription


def _notify(user_ids: set[int], appeal_id: int | None, title: str, body: str = "") -> int:
    Notification.objects.bulk_create([
        Notification(user_id=user_id, appeal_id=appeal_id, kind=NotificationKind.SUBSCRIPTION, title=title[:300],
                     body=body[:2000]) for user_id in sorted(user_ids)])
    return len(user_ids)


@shared_task
def notify_followers(comment_id: int) -> int:
    comment = Comment.objects.filter(pk=comment_id, is_hidden=False).first()
    if comment is None:
        return 0
    followers = set(Subscription.objects.filter(kind=comment.kind, target_id=comment.target_id)
                    .exclude(user_id=comment.author_id or 0).values_list("user_id", flat=True))
    where = "обращению" if comment.kind == "appeal" else "проекту"
    label = "Официальный ответ" if comment.is_official else "Новый комментарий"
    # the copy a follower receives is the thread's public text: on an appeal the author's name
    # and contacts are redacted exactly as on the page (infocenter.discussion)
    from .discussion import public_comment_text

    text = public_comment_text(comment.kind, comment.target_id)(comment.text)
    return _notify(followers, comment.target_id if comment.kind == "appeal" else None,
                   f"{label} к {where} №{comment.target_id}", text[:300])


@shared_task
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
    return _notify(users, appeal.pk, f"{appeal.number}: {appeal.get_status_display()} — {appeal.category.name}",
                   appeal.address)


@shared_task
def send_digests(hours: int = 24) -> int:
    """One e-mail per user with the subscription notices of the last ``hours`` not yet e-mailed,
    except for users who turned the digest off in the notification centre."""
    since = timezone.now() - dt.timedelta(hours=hours)
    opted_out = NotificationPreference.objects.filter(kind=NotificationKind.SUBSCRIPTION, email=False)
    pending = (Notification.objects.filter(kind=NotificationKind.SUBSCRIPTION, emailed_at__isnull=True,
                                           created_at__gte=since)
               .exclude(user_id__in=opted_out.values("user_id"))  # the notification centre's switch
               .select_related("user").order_by("created_at"))
    by_user: dict[int, list[Notification]] = defaultdict(list)
    for notification in pending:
        by_user[notification.user_id].append(notification)
    sent = 0
    for items in by_user.values():
        user = items[0].user
        if not user.email:
            continue
        lines = "\n".join(f"— {n.title}" for n in items)
        send_mail(f"Геопортал: {len(items)} новостей по вашим подпискам", lines, settings.DEFAULT_FROM_EMAIL,
                  [user.email])
        Notification.objects.filter(pk__in=[n.pk for n in items]).update(emailed_at=timezone.now())
        sent += 1
    return sent
