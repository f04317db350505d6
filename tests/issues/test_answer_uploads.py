"""The answer endpoint settles who calls before it decodes a single upload: a caller without
the right gets 403/404 whatever the files are; only the responsible agency's executor gets to
the photo checks (and their 400); more photos than an appeal takes are refused unread."""
from __future__ import annotations

import pytest

from issues import actions

from .helpers import jpeg_bytes, make_appeal, upload

pytestmark = pytest.mark.django_db


def _garbage(n: int) -> list:
    return [upload(b"not an image at all " * 50, name=f"x{i}.jpg") for i in range(n)]


def test_answer_uploads_are_not_decoded_for_callers_without_the_right(personas, monkeypatch):
    appeal = make_appeal(personas.citizen, "roads-potholes")
    actions.accept_appeal(appeal, actor=personas.executor_a)
    decoded: list[str] = []
    import issues.api.lifecycle as api

    real = api.validate_photo
    monkeypatch.setattr(api, "validate_photo", lambda f: (decoded.append(f.name), real(f))[1])
    url = f"/api/v1/appeals/{appeal.pk}/answer/"
    form = {"text": "Яма заделана.", "result": "measures_taken"}
    for who, expected in (("citizen", 403), ("executor_b", 403), ("moderator", 403), ("other_citizen", 403)):
        response = personas.client(who).post(url, {**form, "photos": _garbage(3)})
        assert response.status_code == expected, (who, response.content[:200])
    assert personas.client("anonymous").post(url, {**form, "photos": _garbage(3)}).status_code in (401, 403, 404)
    assert decoded == []  # nobody without the right made the server open a file
    executor = personas.client("executor_a")
    too_many = executor.post(url, {**form, "photos": [upload(jpeg_bytes()) for _ in range(6)]})
    assert too_many.status_code == 400 and "photos" in too_many.json() and decoded == []
    bad = executor.post(url, {**form, "photos": _garbage(1)})
    assert bad.status_code == 400 and decoded == ["x0.jpg"]  # the executor's photos are checked
    assert executor.post(url, {**form, "photos": [upload(jpeg_bytes())]}).status_code == 200
