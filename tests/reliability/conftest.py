"""The throwaway stack for the fault tests (tests/reliability/stack.py), built once per module."""
from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from django.conf import settings

from .stack import Stack, build


@pytest.fixture(scope="module")
def stack(django_db_setup: None) -> Iterator[Stack]:
    for tool in ("nginx", "redis-server"):
        if not shutil.which(tool) and not (tool == "nginx" and shutil.which("/usr/sbin/nginx")):
            pytest.fail(f"{tool} is missing: scripts/setup.sh installs it")
    db = settings.DATABASES["default"]
    schema_from = (f"postgresql://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
                   f"{db['NAME']}")
    built = build(schema_from)
    yield built
    built.stop()
    if not any(built.procs.values()):
        shutil.rmtree(built.base, ignore_errors=True)
