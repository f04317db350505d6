"""Side effects through the real Celery worker (a separate process on the test database and
Redis): metadata-free public copies of photos and the GPS position of the original,
retried photo processing, notifications (in-app rows and e-mail) by preference, new-appeal
notices for agencies and the deadline watch."""
from __future__ import annotations

import datetime as dt
import io
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image

from geoportal.models import Agency
from inbox.models import Notification, NotificationPreference
from issues import actions
from issues.deadlines import MOSCOW, add_working_days, end_of_day
from issues.models import (
    Appeal,
    AppealEvent,
    AppealPhoto,
    Category,
    DeadlineViolation,
)
from issues.tasks import check_deadlines, process_photo

from .helpers import jpeg_bytes, make_appeal, point_in, upload

pytestmark = pytest.mark.django_db(transaction=True)
T = TypeVar("T")


def wait_for(predicate: Callable[[], T], timeout: float = 20.0) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError("the worker did not do it in time; see var/test-celery-worker.log")


def camera_jpeg(gps: tuple[float, float] | None, *, orientation: int = 1, size: tuple[int, int] = (640, 480)) -> bytes:
    """A JPEG as a phone makes it: EXIF with the camera, software, orientation and GPS, an XMP
    packet and a comment."""
    image = Image.new("RGB", size, "orange")
    image.paste((0, 0, 255), (0, 0, size[0] // 4, size[1] // 4))  # a corner that shows the rotation
    exif = Image.open(io.BytesIO(jpeg_bytes(gps=gps))).getexif()  # Make, Software, GPS
    exif[0x0112] = orientation
    exif[0x0110] = "SecretPhone 15 Pro"  # Model
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes(), comment=b"secret-comment",
               xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description creator="secret-author"/></x:xmpmeta>')
    return buffer.getvalue()


METADATA_MARKERS = (b"TestCam", b"SecretPhone", b"secret-software", b"secret-comment", b"secret-author",
                    b"Exif\x00\x00", b"adobe:ns:meta")


def test_public_copy_has_no_metadata_and_the_gps_becomes_the_location(personas, celery_worker_process):
    centre = point_in("centralny")
    lat, lon = round(centre.y, 5), round(centre.x, 5)
    with_gps = camera_jpeg((lat, lon))
    rotated = camera_jpeg(None, orientation=6)  # "rotate 90° clockwise to display"
    for data in (with_gps, rotated):
        assert all(marker in data for marker in METADATA_MARKERS)  # the upload carries all of it
    response = personas.client("citizen").post("/api/v1/appeals/", {
        "category": Category.objects.get(code="light-street").pk, "text": "Фонарь не горит, фото с места.",
        "photos": [upload(with_gps, "IMG_0001.jpg"), upload(rotated, "IMG_0002.jpg")]})  # no pin
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["properties"]["location_source"] == "photo_exif"
    assert body["geometry"]["coordinates"] == pytest.approx([lon, lat], abs=1e-4)
    first, second = AppealPhoto.objects.filter(appeal_id=body["id"]).order_by("id")
    assert (first.gps_lat, first.gps_lon) == pytest.approx((lat, lon), abs=1e-4)  # read from the original
    assert first.gps_lat is not None and second.gps_lat is None

    processed = wait_for(lambda: AppealPhoto.objects.filter(appeal_id=body["id"], processed_at__isnull=False)
                         .count() == 2)
    assert processed
    for photo, expected_size in ((AppealPhoto.objects.get(pk=first.pk), (640, 480)),
                                 (AppealPhoto.objects.get(pk=second.pk), (480, 640))):
        # private folder, random names: served only through issues.photo_views
        assert photo.public_copy.name.startswith("private/") and photo.thumbnail.name.startswith("private/")
        for field in (photo.public_copy, photo.thumbnail):
            with field.open("rb") as handle:
                data = handle.read()
            assert not [m for m in METADATA_MARKERS if m in data], field.name
            with Image.open(io.BytesIO(data)) as image:
                assert image.format == "JPEG" and len(image.getexif()) == 0
                assert not {"exif", "comment", "xmp", "icc_profile", "dpi"} & set(image.info), image.info
        with photo.public_copy.open("rb") as handle, Image.open(handle) as image:
            assert image.size == expected_size  # the orientation was applied before EXIF went away
            if expected_size == (480, 640):  # the blue corner moved to the top right
                assert image.getpixel((470, 10))[2] > 200 and image.getpixel((10, 10))[2] < 100
        with photo.thumbnail.open("rb") as handle, Image.open(handle) as thumb:
            assert max(thumb.size) == 320
        with photo.original.open("rb") as handle:
            assert b"TestCam" in handle.read() or photo.pk == second.pk  # the original stays as sent, private

    public = personas.client("anonymous").get(f"/api/v1/appeals/{body['id']}/").json()["properties"]["photos"]
    assert len(public) == 2
    for item in public:
        # the checking view's addresses, never a storage path
        assert item["url"].startswith("/photos/appeals/") and item["thumbnail_url"].startswith("/photos/appeals/")
        assert "private" not in item["url"] and "private" not in item["thumbnail_url"]
        assert personas.client("anonymous").get(item["thumbnail_url"]).status_code == 200


def test_failed_processing_is_recorded_retried_and_never_touches_the_appeal(personas, celery_worker_process):
    appeal = make_appeal(personas.citizen, "transport-schedule", text="Автобус 3 не ходит по выходным.")
    status, events = appeal.status, appeal.events.count()
    name = f"private/appeals/test-missing-{uuid.uuid4().hex}.jpg"
    photo = AppealPhoto.objects.create(appeal=appeal, original=name)
    process_photo.delay(photo.pk)
    failed = wait_for(lambda: AppealPhoto.objects.get(pk=photo.pk).processing_error)
    assert "No such file" in failed or "not" in failed.lower()
    default_storage.save(name, ContentFile(jpeg_bytes()))  # the file shows up; the retry picks it up
    try:
        done = wait_for(lambda: AppealPhoto.objects.filter(pk=photo.pk, processed_at__isnull=False).first(), 40)
        assert done.processing_error == "" and done.public_copy
    finally:
        default_storage.delete(name)
    appeal.refresh_from_db()
    assert appeal.status == status and appeal.events.count() == events


def _notifications(user: Any, **filters: Any) -> list[Notification]:
    return list(Notification.objects.filter(user=user, **filters).order_by("id"))


def test_a_transition_notifies_the_author_in_app_and_by_email(personas, celery_worker_process):
    appeal = make_appeal(personas.citizen, "roads-potholes", text="Яма на дороге у дома 3.")
    wait_for(lambda: len(_notifications(personas.citizen, appeal=appeal, kind="status")) == 2)  # register, route
    accepted = personas.client("executor_a").post(f"/api/v1/appeals/{appeal.pk}/accept/")
    assert accepted.status_code == 200
    # the row is written before the e-mail goes out: wait for both, not for the first
    rows = wait_for(lambda: [n for n in _notifications(personas.citizen, appeal=appeal, kind="status")
                             if "принято в работу" in n.title and n.emailed_at is not None])
    assert len(rows) == 1 and appeal.number in rows[0].title
    assert rows[0].emailed_at is not None and rows[0].read_at is None
    # the citizen reads it through the API
    listed = personas.client("citizen").get("/api/v1/notifications/").json()["results"]
    assert rows[0].pk in [n["id"] for n in listed]
    assert personas.client("citizen").post(f"/api/v1/notifications/{rows[0].pk}/read/").status_code == 200
    assert Notification.objects.get(pk=rows[0].pk).read_at is not None


def test_preferences_are_honoured(personas, celery_worker_process):
    muted = personas.client("citizen").put("/api/v1/notifications/preferences/",
                                           [{"kind": "status", "email": False, "in_app": False}],
                                           content_type="application/json")
    assert muted.status_code == 200 and muted.json() == [{"kind": "status", "email": False, "in_app": False}]
    NotificationPreference.objects.create(user=personas.other_citizen, kind="status", email=False, in_app=True)
    quiet = make_appeal(personas.citizen, "roads-potholes", text="Яма на дороге у дома 4.")
    app_only = make_appeal(personas.other_citizen, "roads-potholes", text="Яма на дороге у дома 5.")
    for appeal in (quiet, app_only):
        actions.accept_appeal(appeal, actor=personas.executor_a)
    # a message (a kind the citizen did not mute) is queued after the status notices: once it
    # arrived, the status notices were handled too (one worker, one queue, in order)
    actions.post_message(quiet, actor=personas.executor_a, text="Выезжаем на место завтра.", visibility="private")
    message = wait_for(lambda: _notifications(personas.citizen, appeal=quiet, kind="message"))
    assert message[0].emailed_at is not None  # e-mail stays on for messages
    assert _notifications(personas.citizen, kind="status") == []
    rows = wait_for(lambda: (lambda r: r if len(r) == 3 else None)(
        _notifications(personas.other_citizen, appeal=app_only, kind="status")))
    assert all(n.emailed_at is None for n in rows)  # in the app, not by e-mail


def test_agency_staff_get_new_appeal_notices(personas, celery_worker_process):
    appeal = make_appeal(personas.citizen, "roads-potholes", text="Яма на дороге у дома 6.")
    got = wait_for(lambda: (lambda s: s if len(s) == 2 else None)(
        set(Notification.objects.filter(appeal=appeal, kind="new_appeal").values_list("user__username", flat=True))))
    assert got == {"executor_roads", "head_roads"}
    actions.redirect_appeal(appeal, actor=personas.agency_head, agency=Agency.objects.get(short_name="Горсвет"),
                            reason="Это освещение, не дорога")
    wait_for(lambda: Notification.objects.filter(appeal=appeal, kind="new_appeal", user=personas.executor_b).exists())
    assert not Notification.objects.filter(appeal=appeal, kind="new_appeal", user__username="citizen").exists()


def _deadline_world(personas) -> dict[str, Appeal]:
    today = timezone.localtime(timezone.now(), MOSCOW).date()
    world = {
        "soon_claimed": make_appeal(personas.citizen, "roads-potholes", text="Яма на дороге у дома 10."),
        "soon_unclaimed": make_appeal(personas.citizen, "roads-potholes", text="Яма на дороге у дома 11."),
        "three_days": make_appeal(personas.citizen, "roads-potholes", text="Яма на дороге у дома 12."),
        "overdue": make_appeal(personas.citizen, "roads-potholes", text="Яма на дороге у дома 13."),
    }
    actions.accept_appeal(world["soon_claimed"], actor=personas.executor_a)
    two, three = end_of_day(add_working_days(today, 2)), end_of_day(add_working_days(today, 3))
    Appeal.objects.filter(pk__in=[world["soon_claimed"].pk, world["soon_unclaimed"].pk]).update(deadline_at=two)
    Appeal.objects.filter(pk=world["three_days"].pk).update(deadline_at=three)
    Appeal.objects.filter(pk=world["overdue"].pk).update(deadline_at=timezone.now() - dt.timedelta(hours=1))
    return world


def test_check_deadlines_warns_two_working_days_before_and_the_head_when_overdue_once(personas,
                                                                                        celery_worker_process):
    world = _deadline_world(personas)
    assert check_deadlines() == {"warned": 2, "overdue": 1}
    assert check_deadlines() == {"warned": 0, "overdue": 0}  # once
    warned = wait_for(lambda: (lambda r: r if len(r) == 2 else None)(
        _notifications(personas.executor_a, kind="deadline")))
    assert {n.appeal_id for n in warned} == {world["soon_claimed"].pk, world["soon_unclaimed"].pk}
    head = wait_for(lambda: _notifications(personas.agency_head, kind="deadline"))
    assert [n.appeal_id for n in head] == [world["overdue"].pk] and "Просрочено" in head[0].title
    assert DeadlineViolation.objects.filter(kind="answer").count() == 1
    assert DeadlineViolation.objects.get(kind="answer").appeal_id == world["overdue"].pk
    assert AppealEvent.objects.filter(kind="deadline_warning").count() == 2
    assert AppealEvent.objects.filter(kind="overdue").count() == 1
    assert not Notification.objects.filter(appeal=world["three_days"], kind="deadline").exists()
    assert not Notification.objects.filter(user=personas.executor_b, kind="deadline").exists()
    # the public view tells the same story
    sla = {name: personas.client("anonymous").get(f"/api/v1/appeals/{a.pk}/").json()["properties"]["sla"]
           for name, a in world.items()}
    assert sla == {"soon_claimed": "due_soon", "soon_unclaimed": "due_soon", "three_days": "on_track",
                   "overdue": "overdue"}


def test_check_deadlines_through_the_worker(personas, celery_worker_process):
    _deadline_world(personas)
    assert check_deadlines.delay().get(timeout=30) == {"warned": 2, "overdue": 1}
    assert check_deadlines.delay().get(timeout=30) == {"warned": 0, "overdue": 0}
    wait_for(lambda: Notification.objects.filter(user=personas.agency_head, kind="deadline").exists())
