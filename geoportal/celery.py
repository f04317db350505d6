"""The Celery application; tasks live in each domain app's ``tasks.py``."""
from __future__ import annotations

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geoportal.settings")

app = Celery("geoportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# the workers' task counters (succeeded, failed, retried by task) for /metrics: connected to
# Celery's signals wherever the app is loaded, counted where tasks run
from . import task_metrics  # noqa: E402,F401


@signals.worker_process_init.connect
def _warm_up(**_kwargs: object) -> None:
    """Each pool process loads the active router after the fork (a connection opened before the
    fork must not be shared), in the background: the process takes tasks at once."""
    from . import warmup

    warmup.start()
