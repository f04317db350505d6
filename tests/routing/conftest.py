from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _fresh_router_cache() -> Iterator[None]:
    from routing import registry

    registry.reset_cache()
    yield
    registry.reset_cache()
