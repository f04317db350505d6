"""Side effects through the real Celery worker: metadata-free photo copies, notifications
(in-app rows and e-mail) honouring preferences, and deadline warnings."""
from __future__ import annotations

import datetime as dt
import io
import time

import pytest
from django.utils import timezone
from PIL import Image

from issues import actions
from issues.models import Appeal, AppealPhoto, Notification, NotificationPreference
from issues.tasks import check_deadlines

from .helpers import jpeg_bytes, make_appeal, upload

pytestmark = pytest.mark.django_db(transaction=True)


def wait_for(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError("the worker did not do it in time; see var/test-celery-worker.log")


def test_photo_public_copy_has_no_metadata_and_gps_becomes_the_location(personas, celery_worker_process):
    lat, lon = 56.3301, 44.0102
    photo = jpeg_bytes((640, 480), gps=(lat, lon))
    with Image.open(io.BytesIO(photo)) as original:
        assert original.getexif().get(0x010F) == "TestCam"  # the upload carries camera data and GPS
    from issues.photos import validate_photo

    gps = validate_photo(upload(photo))
    assert gps is not None and abs(gps[0] - lat) < 1e-3 and abs(gps[1] - lon) < 1e-3
    appeal = make_appeal(personas.citizen, "light-street", location=None, photos=[(upload(photo), gps)],
                         text="Фонарь не горит, фото с места.")
    assert appeal.location_source == "photo_exif" and abs(appeal.location.y - lat) < 1e-3
    stored = wait_for(lambda: AppealPhoto.objects.filter(appeal=appeal, processed_at__isnull=False).first())
    for field in (stored.public_copy, stored.thumbnail):
        with field.open("rb") as handle, Image.open(handle) as image:
            assert len(image.getexif()) == 0
            assert "exif" not in image.info and image.format == "JPEG"
    with stored.thumbnail.open("rb") as handle, Image.open(handle) as thumb:
        assert max(thumb.size) <= 320


def test_transitions_notify_the_citizen_in_app_and_by_email(personas, celery_worker_process):
    appeal = make_appeal(personas.citizen, "roads-potholes", text="Яма на дороге у дома 3.")  # Комдорхоз has staff
    rows = wait_for(lambda: list(Notification.objects.filter(user=personas.citizen, appeal=appeal)
                                 .exclude(emailed_at=None)) or None)
    titles = " ".join(n.title for n in rows)
    assert appeal.number in titles
    staff = wait_for(lambda: set(Notification.objects.filter(appeal=appeal, kind="new_appeal")
                                 .values_list("user__username", flat=True)) or None)
    assert staff == {"executor_roads", "head_roads"}


def test_preferences_are_honoured(personas, celery_worker_process):
    NotificationPreference.objects.create(user=personas.citizen, kind="status", email=False, in_app=False)
    NotificationPreference.objects.create(user=personas.other_citizen, kind="status", email=False, in_app=True)
    muted = make_appeal(personas.citizen, "transport-schedule", text="Автобус 4 не ходит вечером.")
    loud = make_appeal(personas.other_citizen, "transport-schedule", text="Автобус 5 не ходит вечером.")
    rows = wait_for(lambda: list(Notification.objects.filter(user=personas.other_citizen, appeal=loud)) or None)
    assert all(n.emailed_at is None for n in rows)
    time.sleep(1.0)  # the muted citizen's tasks ran in the same queue before the loud one's
    assert not Notification.objects.filter(user=personas.citizen, appeal=muted).exists()


def test_deadline_warning_and_overdue_notice_once(personas, celery_worker_process):
    soon = make_appeal(personas.citizen, "roads-potholes", text="Яма на дороге у дома 4.")
    late = make_appeal(personas.citizen, "roads-potholes", text="Яма на дороге у дома 6.")
    actions.accept_appeal(soon, actor=personas.executor_a)
    Appeal.objects.filter(pk=soon.pk).update(deadline_at=timezone.now() + dt.timedelta(hours=20))
    Appeal.objects.filter(pk=late.pk).update(deadline_at=timezone.now() - dt.timedelta(hours=1))
    first = check_deadlines.delay().get(timeout=30)
    assert first == {"warned": 1, "overdue": 1}
    assert check_deadlines.delay().get(timeout=30) == {"warned": 0, "overdue": 0}
    wait_for(lambda: Notification.objects.filter(user=personas.executor_a, appeal=soon, kind="deadline").exists())
    wait_for(lambda: Notification.objects.filter(user=personas.agency_head, appeal=late, kind="deadline").exists())
    assert late.violations.filter(kind="answer").count() == 1
