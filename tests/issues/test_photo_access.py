"""Appeal photos leave the server only through a view that asks each time: anyone while the
appeal is public; once a moderator hides it, rejects it, merges it (or before it was ever
registered) only its author and the staff who see it in full; the original (EXIF with GPS)
only those. No copy sits in a public media folder, and no name can be guessed."""
from __future__ import annotations

import pytest
from django.test import Client

from issues import actions
from issues.models import AppealPhoto, Category, Channel, RejectReason
from issues.tasks import process_photo

from .helpers import jpeg_bytes, make_appeal, point_in, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def _with_photo(author, **kwargs):
    appeal = make_appeal(author, "light-street", photos=[(upload(jpeg_bytes(gps=(56.3, 44.0))), None)], **kwargs)
    photo = AppealPhoto.objects.get(appeal=appeal)
    assert process_photo(photo.pk) == "ok"
    photo.refresh_from_db()
    return appeal, photo


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_anonymous_get_of_a_hidden_appeals_photo_is_refused(personas, media):
    anonymous, author = Client(), personas.client("citizen")
    appeal, photo = _with_photo(personas.citizen)
    for name in (photo.public_copy.name, photo.thumbnail.name):
        assert name.startswith("private/")
        assert f"{appeal.pk}-{photo.pk}" not in name and len(name.rsplit("/", 1)[-1]) >= 22  # a random name
        assert anonymous.get(f"/media/{name}").status_code == 404  # never a plain public file
    shown = anonymous.get(photo.copy_url)
    assert shown.status_code == 200 and shown["Cache-Control"].startswith("public")
    assert b"TestCam" not in _body(shown)
    assert anonymous.get(photo.thumb_url).status_code == 200
    assert anonymous.get(photo.original_url).status_code == 404  # the original: never for the public

    actions.moderate_appeal(appeal, actor=personas.moderator, is_public=False, reason="фото с лицами")
    for url in (photo.copy_url, photo.thumb_url, photo.original_url):
        assert anonymous.get(url).status_code == 404
        assert personas.client("other_citizen").get(url).status_code == 404
    mine = author.get(photo.copy_url)
    assert mine.status_code == 200 and mine["Cache-Control"] == "private, no-store"
    original = author.get(photo.original_url)
    assert original.status_code == 200 and b"TestCam" in _body(original)  # the author's own upload


def test_rejected_merged_and_unregistered_appeals_photos_are_not_public(personas, media):
    anonymous = Client()
    rejected, rejected_photo = _with_photo(personas.citizen, text="Фонарь не горит у дома 7, совсем темно.")
    actions.reject_appeal(rejected, actor=personas.moderator, reason=RejectReason.SPAM)
    target = make_appeal(personas.other_citizen, "light-street", text="Не горит фонарь у дома 9, вечером темно.")
    merged, merged_photo = _with_photo(personas.citizen, text="Фонарь у дома 9 не горит, прошу заменить.")
    actions.merge_appeal(merged, actor=personas.moderator, into=target)
    paper = actions.submit_appeal(author=None, channel=Channel.PHONE, actor=personas.operator,
                                  category=Category.objects.get(code="light-street"), location=point_in("centralny"),
                                  text="Звонок: фонарь не горит у дома 11.", author_name="Петрова Анна",
                                  author_contact="+7 912 000-11-22",
                                  photos=[(upload(jpeg_bytes()), None)])
    paper_photo = AppealPhoto.objects.get(appeal=paper)
    process_photo(paper_photo.pk)
    for photo in (rejected_photo, merged_photo, paper_photo):
        photo.refresh_from_db()
        assert anonymous.get(photo.copy_url).status_code == 404
        assert anonymous.get(photo.thumb_url).status_code == 404
        assert personas.client("operator").get(photo.copy_url).status_code == 200  # staff see it in full
    assert anonymous.get("/photos/appeals/999999/photo.jpg").status_code == 404
    assert anonymous.get(f"/photos/appeals/{paper_photo.pk}/anything.jpg").status_code == 404
