"""Uploaded files over HTTP: public folders only, whatever DEBUG says."""
from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client


@pytest.fixture
def media(settings: pytest.FixtureRequest, tmp_path: Path) -> Path:
    root = tmp_path / "media"
    for rel, body in {
        "public/appeals/2026/11/copy.jpg": b"copy named after the appeal (before the audit)",
        "projects/control/2026/11/control-3.jpg": b"resident's control photo",
        "library/2026/model-act.pdf": b"%PDF-1.4 model act",
        "projects/photos/2026/11/works.jpg": b"works",
        "private/appeals/2026/11/7-IMG_0001.jpg": b"original with GPS",
        "private/attachments/2026/11/letter.pdf": b"citizen's letter",
        "projects/minutes/2026/11/minutes-abc.pdf": b"names of residents",
    }.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(body)
    settings.MEDIA_ROOT = str(root)  # type: ignore[attr-defined]
    return root


@pytest.mark.parametrize("debug", [True, False])
def test_public_folders_are_served_and_private_ones_are_not(media: Path, settings: pytest.FixtureRequest,
                                                            debug: bool) -> None:
    settings.DEBUG = debug  # type: ignore[attr-defined]
    client = Client()
    for rel in ("library/2026/model-act.pdf", "projects/photos/2026/11/works.jpg"):
        response = client.get(f"/media/{rel}")
        assert response.status_code == 200, rel
        assert b"".join(response.streaming_content) == (media / rel).read_bytes()  # type: ignore[attr-defined]
        assert response["X-Content-Type-Options"] == "nosniff"
    # appeal photos and control-report photos are served by views that check the caller
    for rel in ("public/appeals/2026/11/copy.jpg", "projects/control/2026/11/control-3.jpg",
                "private/appeals/2026/11/7-IMG_0001.jpg", "private/attachments/2026/11/letter.pdf",
                "projects/minutes/2026/11/minutes-abc.pdf", "private/", "public/../private/appeals/2026/11/7-IMG_0001.jpg",
                "public/%2e%2e/private/appeals/2026/11/7-IMG_0001.jpg", "../../etc/passwd", "public/nothing.jpg"):
        response = client.get(f"/media/{rel}")
        assert response.status_code == 404, rel
        assert b"GPS" not in response.content and b"residents" not in response.content
    assert client.post("/media/library/2026/model-act.pdf").status_code in (403, 404)
