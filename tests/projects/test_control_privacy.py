"""What a resident's control report leaves in public: the fact of an official's answer, never
its words (they may address the resident by name) — in the API as on the page; the resident's
photo only for the officials who monitor these works and the resident, under a random name."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from projects import actions
from tests.issues.helpers import jpeg_bytes
from tests.projects.official_helpers import implementing_project

pytestmark = pytest.mark.django_db


def test_api_hides_control_answer_notes_and_the_photo_is_private(make_cycle, make_project, personas, settings,
                                                                 tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    project = implementing_project(make_cycle, make_project, personas)
    photo = SimpleUploadedFile("dvor.jpg", jpeg_bytes(), "image/jpeg")
    report = actions.do_submit_control_report(project, author=personas.other_citizen, kind="quality", photo=photo,
                                              text="Плитка уложена без основания у подъезда 2")
    words = "Уважаемая Мария Петровна, подрядчик переложит плитку до 20 мая."
    actions.do_answer_control_report(report, actor=personas.executor_a, answer=words)
    body = Client().get(f"/api/v1/projects/{project.pk}/")
    assert body.status_code == 200
    events = [e for e in body.json()["properties"]["events"] if e["kind"] == "control_answer"]
    assert events and events[0]["note"] == ""
    assert "Петровна" not in body.content.decode()

    report.refresh_from_db()
    assert report.photo.name.startswith("private/") and f"control-{project.pk}" not in report.photo.name
    url = f"/projects/control-reports/{report.pk}/photo.jpg"
    assert Client().get(f"/media/{report.photo.name}").status_code == 404
    # executor_b monitors works too, but those of another agency (the lighting one)
    for who in ("anonymous", "citizen", "moderator", "executor_b"):
        assert personas.client(who).get(url).status_code == 404, who
    for who in ("other_citizen", "executor_a"):  # the resident and the official who monitors
        shown = personas.client(who).get(url)
        assert shown.status_code == 200 and shown["Cache-Control"] == "private, no-store", who
