"""What an error report may show. Django's filter hides settings and request META entries
named like secrets (KEY, TOKEN, PASS…); connection strings carry passwords too and are named
``…_URL`` (``DATABASE_URL``, ``REDIS_URL``, ``EMAIL_URL``, ``CELERY_BROKER_URL``), so they are
hidden as well — on a debug page (DEBUG=1) and in the e-mailed reports of production."""
from __future__ import annotations

import re

from django.views.debug import SafeExceptionReporterFilter


class ExceptionReporterFilter(SafeExceptionReporterFilter):
    hidden_settings = re.compile(
        "API|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|DATABASE|REDIS|BROKER|BACKEND|EMAIL_URL|DSN|_URL$",
        flags=re.IGNORECASE)
