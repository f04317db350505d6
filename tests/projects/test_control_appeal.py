"""A resident's control report on an implementing project becomes an appeal through the
appeals app's own actions: registered with its 59-FZ deadline, routed to the responsible
agency, in that agency's queue, linked back to the report; the resident and the project's
followers hear of it from the real Celery worker."""
from __future__ import annotations

import time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from geoportal.models import Agency
from inbox.models import Notification
from issues.models import Appeal, AppealPhoto, Category, Status
from projects import actions
from projects.models import ControlReportStatus, ProjectEvent
from tests.issues.helpers import jpeg_bytes
from tests.projects.official_helpers import implementing_project


def wait_for(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (value := predicate()):
            return value
        time.sleep(0.3)
    raise AssertionError("not delivered in time; see var/test-celery-worker.log")


@pytest.mark.django_db
def test_only_officials_file_a_report_and_a_failed_filing_leaves_nothing(make_cycle, make_project, personas):
    project = implementing_project(make_cycle, make_project, personas)
    report = actions.do_submit_control_report(project, author=personas.other_citizen, kind="quality",
                                              text="Плитка уложена без основания, уже шатается")
    sidewalk = Category.objects.get(code="roads-sidewalk")  # this category requires a photo
    for outsider in (personas.citizen, personas.other_citizen, personas.leader, personas.moderator):
        with pytest.raises(PermissionDenied):
            actions.do_file_control_report(report, actor=outsider, category=sidewalk)
    before = Appeal.objects.count()
    with pytest.raises(ValidationError) as error:
        actions.do_file_control_report(report, actor=personas.operator, category=sidewalk)
    assert "photos" in error.value.message_dict
    report.refresh_from_db()
    assert (report.status, report.appeal_id) == (ControlReportStatus.NEW, None)
    assert Appeal.objects.count() == before
    assert not ProjectEvent.objects.filter(project=project, kind="control_appeal").exists()


@pytest.mark.django_db(transaction=True)
def test_control_report_becomes_a_routed_appeal_in_the_agency_queue(make_cycle, make_project, personas,
                                                                      celery_worker_process):
    project = implementing_project(make_cycle, make_project, personas)
    spot = project.geometry
    photo = SimpleUploadedFile("plitka.jpg", jpeg_bytes(gps=(spot.y, spot.x)), "image/jpeg")
    report = actions.do_submit_control_report(project, author=personas.other_citizen, kind="quality", photo=photo,
                                              text="Плитка уложена без основания, уже шатается у входа")
    assert report.location is not None and report.location.distance(spot) < 1e-4  # from the photo's GPS
    assert b"TestCam" not in report.photo.read()  # the stored copy has no EXIF
    sidewalk = Category.objects.get(code="roads-sidewalk")

    filed = actions.do_file_control_report(report, actor=personas.operator, category=sidewalk,
                                           note="Передали в Комдорхоз для проверки качества работ")
    with pytest.raises(actions.Conflict):
        actions.do_file_control_report(filed, actor=personas.operator, category=sidewalk)

    appeal = Appeal.objects.select_related("responsible_agency").get(pk=filed.appeal_id)
    assert filed.status == ControlReportStatus.ESCALATED
    assert appeal.author == personas.other_citizen and appeal.category == sidewalk
    assert appeal.status == Status.ROUTED and appeal.registered_at and appeal.deadline_at > appeal.registered_at
    assert appeal.responsible_agency == Agency.objects.get(short_name="Комдорхоз")
    assert project.title in appeal.text and f"/projects/{project.pk}/" in appeal.text
    assert list(appeal.events.values_list("kind", flat=True))[:2] == ["submit", "register"]
    assert AppealPhoto.objects.filter(appeal=appeal).count() == 1
    event = ProjectEvent.objects.get(project=project, kind="control_appeal")
    assert event.data["appeal"] == appeal.pk and event.data["number"] == appeal.number

    # the roads agency's executor sees it in the work queue, the lighting executor does not
    queue = personas.client("executor_a").get("/api/v1/appeals/", {"scope": "work"}).json()
    assert appeal.number in str(queue)
    other = personas.client("executor_b").get("/api/v1/appeals/", {"scope": "work"}).json()
    assert appeal.number not in str(other)

    # the resident hears of the appeal's number, its registration and routing
    wait_for(lambda: Notification.objects.filter(user=personas.other_citizen, appeal=appeal,
                                                 title__contains="передан как обращение").exists())
    wait_for(lambda: Notification.objects.filter(user=personas.other_citizen, appeal=appeal,
                                                 title__contains="зарегистрировано").exists())
    # the project's author follows it and is told too; the operator who filed it is not
    wait_for(lambda: Notification.objects.filter(user=personas.citizen, kind="subscription",
                                                 title__contains="передан как обращение").exists())
    assert not Notification.objects.filter(user=personas.operator, kind="subscription").exists()
