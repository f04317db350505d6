"""Fixtures of the appeals tests."""
from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def media_root(settings: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """Uploads go to a fresh directory, so a test can prove that nothing was stored."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)  # type: ignore[attr-defined]
    return root
