"""The home page's headline counts of public appeals from the appeal facts
(:mod:`analytics.facts`): a few thousand rows instead of every public appeal (8 s at ten
million). Named by ``settings.HEADLINE_APPEAL_COUNTS`` and called by ``infocenter.stats``, which
may not import this app (the two are independent layers); exact, with the same definitions."""
from __future__ import annotations

from django.db import connection

from issues.models import OPEN_STATUSES, Status

from . import facts

ANSWERED = [str(Status.ANSWERED), str(Status.CLOSED)]


def public_counts() -> dict[str, int] | None:
    """``total``, ``open``, ``answered`` (answered or closed) and ``on_time`` (of those, answered
    by the deadline) over Appeal.objects.public(); None before the facts are first built."""
    with connection.cursor() as cursor:
        if not facts.populated(cursor):
            return None
        cursor.execute(
            f"SELECT COALESCE(sum(count), 0), COALESCE(sum(count) FILTER (WHERE status = ANY(%(open)s)), 0), "  # noqa: S608
            f"COALESCE(sum(count) FILTER (WHERE status = ANY(%(answered)s)), 0), "
            f"COALESCE(sum(on_time) FILTER (WHERE status = ANY(%(answered)s)), 0) FROM {facts.TABLE} WHERE public",
            {"open": [str(s) for s in OPEN_STATUSES], "answered": ANSWERED})
        total, open_, answered, on_time = (int(v) for v in cursor.fetchone())
    return {"total": total, "open": open_, "answered": answered, "on_time": on_time}
