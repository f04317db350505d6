"""The outbox: an action owes its side effects in one row of its own transaction; running a
message again repeats nothing; a failing effect is retried with backoff, then shown to admins as a
dead letter with a retry button; the sweep publishes what the on-commit publish could not."""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.test import Client
from django.utils import timezone

from inbox.models import Notification
from issues.models import AppealPhoto
from outbox import core
from outbox.models import OutboxMessage
from tests.issues.helpers import jpeg_bytes, make_appeal

pytestmark = pytest.mark.django_db


def names(message: OutboxMessage) -> list[str]:
    return [name for name, _args in message.effects]


def test_an_appeal_owes_all_its_side_effects_in_one_outbox_row(personas: Any) -> None:
    appeal = make_appeal(personas.citizen, "transport-schedule", text="Автобус 45 не ходит по вечерам.")
    [message] = OutboxMessage.objects.all()
    assert names(message).count("inbox.tasks.deliver_notification") >= 2  # registered, routed (+ agency staff)
    assert names(message)[-1] == "issues.tasks.announce_change" and names(message).count(
        "issues.tasks.announce_change") == 1  # registered and routed in one write: one follow-up
    assert all(args[1] == appeal.pk for name, args in message.effects if name.endswith("deliver_notification"))
    assert message.published_at is None and message.done == 0  # not committed in this test: not sent


def test_running_a_message_again_repeats_no_effect(personas: Any) -> None:
    appeal = make_appeal(personas.citizen, "transport-schedule", text="Автобус 45 не ходит по вечерам.")
    message = OutboxMessage.objects.get()
    assert core.run(message.pk) == "done"
    delivered = list(Notification.objects.filter(appeal=appeal).values_list("user_id", "title").order_by("id"))
    owed = [(args[0], args[3]) for name, args in message.effects if name.endswith("deliver_notification")]
    assert sorted(delivered) == sorted(owed)
    # a second delivery of the same message (a redelivered message, a sweep that raced a worker)
    OutboxMessage.objects.filter(pk=message.pk).update(completed_at=None)  # even if it looked unfinished
    assert core.run(message.pk) == "done"
    assert Notification.objects.filter(appeal=appeal).count() == len(owed)


def test_a_failing_effect_backs_off_then_becomes_a_dead_letter_that_an_admin_retries(
        personas: Any, settings: Any) -> None:
    settings.OUTBOX_MAX_ATTEMPTS = 2
    appeal = make_appeal(personas.citizen, "transport-schedule", text="Автобус 3 не ходит по выходным.")
    name = f"private/appeals/test-missing-{uuid.uuid4().hex}.jpg"
    photo = AppealPhoto.objects.create(appeal=appeal, original=name)
    OutboxMessage.objects.all().delete()
    with transaction.atomic():
        core.enqueue("issues.tasks.process_photo", photo.pk)
    message = OutboxMessage.objects.get()

    assert core.run(message.pk) == "failed"
    message.refresh_from_db()
    assert message.attempts == 1 and message.failed_at is None and message.published_at is None
    assert message.available_at > timezone.now()  # due again after the backoff
    assert "process_photo" in message.last_error

    assert core.run(message.pk) == "failed"
    message.refresh_from_db()
    assert message.failed_at is not None and message.attempts == 2  # dead letter: not retried by itself

    admin = Client()
    admin.force_login(personas.admin)
    listing = admin.get("/admin/outbox/outboxmessage/?state=failed")
    assert listing.status_code == 200 and f"#{message.pk} process_photo" in listing.content.decode()
    page = admin.get(f"/admin/outbox/outboxmessage/{message.pk}/change/")
    assert f"/admin/outbox/outboxmessage/{message.pk}/retry/" in page.content.decode()
    for persona in ("operator", "moderator", "citizen"):  # nobody else sees the list or the button
        other = personas.client(persona)
        assert other.get("/admin/outbox/outboxmessage/").status_code in (302, 403)
        other.post(f"/admin/outbox/outboxmessage/{message.pk}/retry/")
        message.refresh_from_db()
        assert message.failed_at is not None

    assert admin.post(f"/admin/outbox/outboxmessage/{message.pk}/retry/").status_code == 302
    message.refresh_from_db()
    assert message.failed_at is None and message.attempts == 0 and message.available_at <= timezone.now()
    default_storage.save(name, ContentFile(jpeg_bytes()))  # the cause is fixed; the retry goes through
    try:
        assert core.run(message.pk) == "done"
    finally:
        default_storage.delete(name)
    photo.refresh_from_db()
    assert photo.processed_at is not None and photo.public_copy
    for field in (photo.public_copy, photo.thumbnail):
        field.storage.delete(field.name)


def test_the_sweep_publishes_what_was_never_sent_and_what_was_lost(personas: Any) -> None:
    from geoportal.celery import app

    long_ago = timezone.now() - dt.timedelta(hours=2)
    unsent = OutboxMessage.objects.create(effects=[["issues.tasks.announce_change", [0]]], created_at=long_ago)
    lost = OutboxMessage.objects.create(effects=[["issues.tasks.announce_change", [0]]], created_at=long_ago,
                                        published_at=long_ago)
    fresh = OutboxMessage.objects.create(effects=[["issues.tasks.announce_change", [0]]])  # its publish is on the way
    done = OutboxMessage.objects.create(effects=[], created_at=long_ago, completed_at=long_ago)
    try:
        assert core.sweep() == 2
    finally:
        app.control.purge()  # the rows vanish with this test's transaction
    assert set(OutboxMessage.objects.filter(published_at__gt=long_ago).values_list("pk", flat=True)) == {
        unsent.pk, lost.pk}
    fresh.refresh_from_db()
    done.refresh_from_db()
    assert fresh.published_at is None and done.published_at is None
