"""WSGI entry point for gunicorn: the Django app, with vector tiles answered by the lean
``tiles.fastpath`` (same answers, without the request cycle a public tile does not need)."""
from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geoportal.settings")
application = get_wsgi_application()

from tiles.fastpath import TileFastPath  # noqa: E402 - needs the configured apps

application = TileFastPath(application)  # type: ignore[assignment]
