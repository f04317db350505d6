"""Warm-up at process start: the web server's and the Celery worker's processes load what their
first request would otherwise wait for, in a background thread, so starting is not slowed and
nothing behaves otherwise: the URLconf with every view it imports (Django imports it on the first
request: 3.7 s measured for the first ``/desk/items/``, 2.5 s of it the analytics report's map
libraries) and the active router version (2.6 s of unpickling and imports before the first
routed appeal).

Only the entry points start it (``geoportal.wsgi`` for the web server, the ``worker_process_init``
signal in ``geoportal.celery`` for each pool process), never ``manage.py``: migrations, the shell
and other commands do not pay for it. The callables are named in ``settings.WARM_UP`` (dotted
paths: ``geoportal/`` imports no app); a failure is logged and the first request loads as before."""
from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.db import connections
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


def _run(paths: list[str]) -> None:
    for path in paths:
        started = time.perf_counter()
        try:
            import_string(path)()
        except Exception:  # a warm-up must never take the process down: the request loads instead
            log.exception("warm-up %s failed", path)
        else:
            log.info("warm-up %s took %.2f s", path, time.perf_counter() - started)
        finally:
            connections.close_all()  # this thread's own connections: it will not run again


def load_urls() -> None:
    """Import the URLconf and the views it names (what the first request would do)."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (the property imports them)


def start() -> threading.Thread | None:
    """Run the ``WARM_UP`` callables in a daemon thread (None when there are none)."""
    paths = list(settings.WARM_UP)
    if not paths:
        return None
    thread = threading.Thread(target=_run, args=(paths,), name="warm-up", daemon=True)
    thread.start()
    return thread
