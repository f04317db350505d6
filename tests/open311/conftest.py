"""Fixtures of the Open311 tests."""
from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from open311.actions import issue_api_key


@pytest.fixture
def key(personas: Any) -> str:
    """The raw key of a client application owned by the operator (generous limit)."""
    _record, raw = issue_api_key(name="Тестовое приложение", owner=personas.operator, rate_limit_per_minute=10_000)
    return raw


@pytest.fixture
def client(settings: Any) -> Client:
    """An anonymous reader whose per-IP limit does not get in the way (limits have own tests)."""
    settings.OPEN311_ANON_RATE_PER_MINUTE = 10_000
    return Client()


@pytest.fixture
def media_root(settings: Any, tmp_path: Any) -> Any:
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root
