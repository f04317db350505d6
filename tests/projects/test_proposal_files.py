"""The residents' proposal with its attachments: the meeting minutes (PDF/JPEG/PNG by their
first bytes, private: only reviewers download them) and up to five photos of the place
(JPEG/PNG, published without EXIF/GPS and turned upright). Bad files are field errors (400)
and leave nothing in the database or on disk."""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from projects import actions
from projects.models import Project, ProjectPhoto
from tests.issues.helpers import files_under, jpeg_bytes, png_declaring
from tests.projects.conftest import group, inside
from tests.projects.test_pages import MEMBER, proposal

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def media_root(settings: Any, tmp_path: Path) -> Path:
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root


def pdf(name: str = "Протокол собрания.pdf", data: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, "application/pdf")


def photo(name: str = "place.jpg", data: bytes | None = None, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data if data is not None else jpeg_bytes((80, 60), gps=(56.3, 44.0)),
                              content_type)


def turned_jpeg() -> bytes:
    """A 120×40 JPEG whose EXIF says "rotate 90°" (as phones write) and names the camera."""
    image = Image.new("RGB", (120, 40), "blue")
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° CW to display
    exif[0x010F] = "SecretCam"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes())
    return buffer.getvalue()


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (50, 30), "green").save(buffer, "PNG")
    return buffer.getvalue()


def gif_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("P", (20, 20)).save(buffer, "GIF")
    return buffer.getvalue()


def test_minutes_and_photos_are_stored_and_the_photos_are_public_without_metadata(personas, make_cycle,
                                                                                   media_root):
    heading = make_cycle({"submission"}).headings.get()
    data = proposal(heading, meeting_minutes=pdf(),
                    photos=[photo(), photo("turned.jpg", turned_jpeg()), photo("plan.png", png_bytes(), "image/png")])
    response = personas.client("citizen").post("/projects/new/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    project = Project.objects.get()
    # the minutes: the same bytes, under a name that tells nothing (no residents' file name)
    assert project.meeting_minutes.name.startswith("projects/minutes/")
    assert project.meeting_minutes.name.endswith(".pdf") and "Протокол" not in project.meeting_minutes.name
    with project.meeting_minutes.open("rb") as handle:
        assert handle.read() == PDF
    photos = list(ProjectPhoto.objects.filter(project=project).order_by("pk"))
    assert len(photos) == 3
    sizes = []
    for stored in photos:
        assert stored.location is None and stored.uploaded_by_id == personas.citizen.pk
        with stored.image.open("rb") as handle:
            raw = handle.read()
        with Image.open(io.BytesIO(raw)) as image:
            assert image.format == "JPEG"
            assert len(image.getexif()) == 0  # no camera, no orientation tag, no GPS
            assert not image.getexif().get_ifd(0x8825)
            sizes.append(image.size)
        assert b"TestCam" not in raw and b"SecretCam" not in raw and b"secret-software" not in raw
    assert sizes == [(80, 60), (40, 120), (50, 30)]  # the turned one is upright now
    assert len(files_under(media_root)) == 4
    # the public page shows the photos and nothing of the minutes
    page = personas.client("anonymous").get(f"/projects/{project.pk}/").content.decode()
    for stored in photos:
        assert f"/api/v1/map/project-photos/{stored.pk}.jpg" in page
    assert "minutes" not in page and MEMBER not in page
    thumb = personas.client("anonymous").get(f"/api/v1/map/project-photos/{photos[0].pk}.jpg")
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    api = personas.client("anonymous").get(f"/api/v1/projects/{project.pk}/")
    assert api.status_code == 200 and "minutes" not in api.content.decode()
    assert len(api.json()["properties"]["photos"]) == 3


def test_a_proposal_without_attachments_is_still_accepted(personas, make_cycle, media_root):
    heading = make_cycle({"submission"}).headings.get()
    assert personas.client("citizen").post("/projects/new/", proposal(heading)).status_code == 302
    project = Project.objects.get()
    assert not project.meeting_minutes and not project.photos.exists() and files_under(media_root) == []


@pytest.mark.parametrize(("field", "upload", "message"), [
    # a web page renamed to .pdf, with the browser claiming it is a PDF
    ("meeting_minutes", lambda: pdf("protokol.pdf", b"<html><script>alert(1)</script></html>"),
     "Протокол принимается в PDF, JPEG или PNG"),
    ("meeting_minutes", lambda: SimpleUploadedFile("protokol.docx", b"PK\x03\x04word/document.xml",
                                                   "application/pdf"), "Протокол принимается в PDF, JPEG или PNG"),
    ("photos", lambda: [photo("anim.jpg", gif_bytes())], "фотографии принимаются в JPEG или PNG"),
    ("photos", lambda: [photo(), photo("notes.jpg", b"just some text, not a picture")],
     "это не изображение или файл повреждён"),
    ("photos", lambda: [photo("bomb.png", png_declaring(7_000, 7_000), "image/png")], "слишком большое"),
    ("photos", lambda: [photo(f"p{i}.jpg") for i in range(6)], "Не больше 5 фотографий, выбрано 6"),
])
def test_bad_files_are_field_errors_and_nothing_is_written(personas, make_cycle, media_root, field, upload,
                                                           message):
    heading = make_cycle({"submission"}).headings.get()
    good = {"meeting_minutes": pdf(), "photos": [photo()]}
    good[field] = upload()
    response = personas.client("citizen").post("/projects/new/", proposal(heading, **good))
    body = response.content.decode()
    assert response.status_code == 400
    assert message in body
    # the message sits beside its own input, and the summary links to it
    assert body.rindex(message) > body.index(f'id="id_{field}"')
    assert f'href="#id_{field}"' in body
    assert not Project.objects.exists() and not ProjectPhoto.objects.exists()
    assert files_under(media_root) == []


def test_the_action_checks_size_phase_and_role_before_storing_anything(personas, make_cycle, media_root):
    heading = make_cycle({"submission"}).headings.get()
    point = inside(heading)
    base: dict[str, Any] = {"heading": heading, "title": "Скамейки", "description": "Пять скамеек",
                            "geometry": point, "category": "greenery", "group": group(),
                            "cost_items": [{"name": "Скамейка", "quantity": 5, "unit_price": 12000}]}
    big = pdf(data=b"%PDF-1.4\n" + b"0" * (actions.MINUTES_MAX_BYTES + 1))
    with pytest.raises(actions.ValidationError) as refused:
        actions.do_submit_project(author=personas.citizen, meeting_minutes=big, **base)
    assert refused.value.message_dict == {"meeting_minutes": ["Протокол больше 20 МБ"]}
    with pytest.raises(PermissionDenied):
        actions.do_submit_project(author=personas.operator, meeting_minutes=pdf(), photos=[photo()], **base)
    closed = make_cycle({"voting"}, name="Прошлый").headings.get()
    with pytest.raises(actions.PhaseClosed):
        actions.do_submit_project(author=personas.citizen, meeting_minutes=pdf(), photos=[photo()],
                                  **{**base, "heading": closed})
    assert not Project.objects.exists() and files_under(media_root) == []
    project = actions.do_submit_project(author=personas.citizen, meeting_minutes=pdf("scan.png", png_bytes()),
                                        photos=[photo()], **base)
    assert project.meeting_minutes.name.endswith(".png") and project.photos.count() == 1


@pytest.mark.parametrize(("who", "expected"), [
    ("anonymous", 403), ("citizen", 403), ("other_citizen", 403), ("executor_a", 403), ("moderator", 403),
    ("leader", 403), ("operator", 200), ("admin", 200)])
def test_only_reviewers_download_the_minutes(personas, make_cycle, media_root, who, expected):
    heading = make_cycle({"submission"}).headings.get()
    data = proposal(heading, meeting_minutes=pdf())
    assert personas.client("citizen").post("/projects/new/", data).status_code == 302
    project = Project.objects.get()
    response = personas.client(who).get(f"/projects/{project.pk}/minutes/")
    assert response.status_code == expected
    if expected == 200:
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf" and "no-store" in response["Cache-Control"]
        assert response["Content-Disposition"].startswith("attachment")
        review = personas.client(who).get(f"/projects/{project.pk}/review/").content.decode()
        assert f'href="/projects/{project.pk}/minutes/"' in review
    else:
        assert PDF not in response.content


def test_a_project_without_minutes_has_none_to_download(personas, make_cycle, make_project):
    project = make_project(make_cycle({"review"}).headings.get())
    assert personas.client("operator").get(f"/projects/{project.pk}/minutes/").status_code == 404
    assert personas.client("operator").get("/projects/999999/minutes/").status_code == 404
