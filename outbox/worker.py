"""The relay inside every Celery worker: a thread that sweeps the outbox every few seconds, so
messages whose publish failed (the broker was down) go out as soon as the worker is connected
again, with no beat needed. Several workers may sweep: rows are claimed with SKIP LOCKED."""
from __future__ import annotations

import logging
import threading
from typing import Any

from django.conf import settings

log = logging.getLogger(__name__)
_stop = threading.Event()


def connect_signals() -> None:
    from celery.signals import worker_ready, worker_shutdown

    worker_ready.connect(_start, weak=False, dispatch_uid="outbox.sweep.start")
    worker_shutdown.connect(_halt, weak=False, dispatch_uid="outbox.sweep.stop")


def _start(sender: Any = None, **kwargs: Any) -> None:
    if settings.OUTBOX_SWEEP_EVERY_S <= 0:
        return
    _stop.clear()
    threading.Thread(target=_loop, name="outbox-sweep", daemon=True).start()


def _halt(sender: Any = None, **kwargs: Any) -> None:
    _stop.set()


def _loop() -> None:
    from django.db import close_old_connections, connection

    from .core import sweep

    while not _stop.wait(settings.OUTBOX_SWEEP_EVERY_S):
        try:
            close_old_connections()
            sent = sweep()
            if sent:
                log.info("outbox: sweep published %s message(s)", sent)
        except Exception:  # noqa: BLE001 - the database may be down: try again next round
            log.warning("outbox: sweep failed", exc_info=True)
            connection.close()
