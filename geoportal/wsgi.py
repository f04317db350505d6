"""WSGI entry point for the web server (scripts/web.sh): the Django app, with vector tiles answered by the lean
``tiles.fastpath`` (same answers, without the request cycle a public tile does not need)."""
from __future__ import annotations

import os
from typing import Any

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geoportal.settings")
django_application = get_wsgi_application()

from geoportal import warmup  # noqa: E402
from geoportal.replica import ReplicaRouting, replica_configured  # noqa: E402
from tiles.fastpath import TileFastPath  # noqa: E402 - needs the configured apps

# bench/tiles.py also serves ``django_application`` alone, to measure what the fast path saves.
# With a replica (DATABASE_REPLICA_URL), ReplicaRouting goes outermost: tiles answered by the fast
# path read from the replica too. Without one, nothing is added.
application: Any = TileFastPath(django_application)
if replica_configured():
    application = ReplicaRouting(application)

# the web server's process loads the active router now, not on the first appeal (geoportal/warmup.py)
warmup.start()
