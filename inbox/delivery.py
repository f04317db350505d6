"""How a notice reaches a user. The apps compose the texts (each app's ``notifications``
module, from its event rows) and hand them here:

- :func:`notify_on_commit` owes a personal notice through the outbox: once the write commits,
  the worker stores the in-app row and sends the e-mail, each as the user's preferences say
  (also when Redis was down at commit);
- :func:`post_in_app` stores subscription news in bulk, in the app only (the e-mail is the daily
  digest, ``inbox.tasks.send_digests``); it runs in a worker already.

:func:`deliver` is the worker's side of :func:`notify_on_commit`."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.utils import timezone

from outbox import core as outbox

from .models import Notification, NotificationKind, NotificationPreference

DELIVER_TASK = "inbox.tasks.deliver_notification"
TITLE_MAX = 300
BODY_MAX = 2000


def notify_on_commit(user_ids: Iterable[int | None], kind: str, title: str, body: str = "", *,
                     appeal_id: int | None = None) -> None:
    """Owe each user (``None`` and repeats skipped, in the given order) the notice once the
    current write commits."""
    seen: set[int] = set()
    for user_id in user_ids:
        if user_id and user_id not in seen:
            seen.add(user_id)
            outbox.enqueue(DELIVER_TASK, user_id, appeal_id, kind, title[:TITLE_MAX], body[:BODY_MAX])


def post_in_app(user_ids: Iterable[int], title: str, body: str = "", *, appeal_id: int | None = None) -> int:
    """Subscription news for each user, in the app (e-mailed later in the digest)."""
    ordered = sorted(set(user_ids))
    Notification.objects.bulk_create([
        Notification(user_id=user_id, appeal_id=appeal_id, kind=NotificationKind.SUBSCRIPTION,
                     title=title[:TITLE_MAX], body=body[:BODY_MAX]) for user_id in ordered])
    return len(ordered)


def email_address(user: Any) -> str:
    """Where a user's e-mail goes: the account's address, else the one the citizen gave in an
    appeal's profile (the one rule for notices, digests and the notification centre)."""
    return user.email or (user.profile.email if hasattr(user, "profile") else "")


def deliver(user_id: int, appeal_id: int | None, kind: str, title: str, body: str = "") -> int | None:
    """The in-app row and the e-mail of one notice, by the user's preference for its kind.
    ``None`` when the user or the appeal is gone, else the row's id (0: e-mail only)."""
    user: Any = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    appeal_model: Any = Notification._meta.get_field("appeal").related_model  # no import of the appeals app
    if user is None or (appeal_id is not None and not appeal_model.objects.filter(pk=appeal_id).exists()):
        return None
    pref = NotificationPreference.objects.filter(user=user, kind=kind).first()
    in_app = pref.in_app if pref else True
    email = pref.email if pref else True
    notification = None
    if in_app:
        notification = Notification.objects.create(user=user, appeal_id=appeal_id, kind=kind, title=title, body=body)
    address = email_address(user)
    if email and address:
        send_mail(subject=title[:200], message=f"{title}\n\n{body}".strip(), from_email=settings.DEFAULT_FROM_EMAIL,
                  recipient_list=[address])
        if notification:
            Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
    return notification.pk if notification else 0
