"""The inbox's writes, on the given user's own rows only: reading notices and choosing what
arrives (per kind, in the app and by e-mail). Called by the API (``inbox.api``) and the
notification centre page (``infocenter``)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from .models import Notification, NotificationKind, NotificationPreference


def do_mark_all_read(user: Any) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())


def do_mark_read(notice: Notification) -> Notification:
    """Mark a notice read (once). The caller found it among the user's own
    (``Notification.objects.filter(user=...)``): anyone else's is a 404 before this."""
    if notice.read_at is None:
        notice.read_at = timezone.now()
        notice.save(update_fields=["read_at"])
    return notice


@transaction.atomic
def do_set_preferences(user: Any, choices: Iterable[Mapping[str, Any]]) -> None:
    """Each choice is ``{"kind", "email"?, "in_app"?}``; a flag left out keeps the stored choice
    (or the default: on)."""
    for item in choices:
        NotificationPreference.objects.update_or_create(
            user=user, kind=item["kind"], defaults={name: item[name] for name in ("email", "in_app") if name in item})


def do_set_digest(user: Any, on: bool) -> None:
    """The daily e-mail digest of subscription news on or off (the in-app notices stay)."""
    do_set_preferences(user, [{"kind": NotificationKind.SUBSCRIPTION, "email": on}])


def wants_digest(user: Any) -> bool:
    pref = NotificationPreference.objects.filter(user=user, kind=NotificationKind.SUBSCRIPTION).first()
    return pref.email if pref is not None else True
