"""The hourly deadline check reads an appeal whose escalation is recorded already (an overdue
one's violation, a near one's warning) no more: a second run over the same appeals is one query,
however many of them are near or past their deadline."""
from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from issues.deadlines import MOSCOW, add_working_days, end_of_day
from issues.models import Appeal
from issues.tasks import check_deadlines

from .helpers import make_appeal

pytestmark = pytest.mark.django_db


def test_a_second_deadline_check_does_not_reread_escalated_appeals(personas) -> None:
    near = [make_appeal(personas.citizen, "roads-potholes", text=f"Яма на дороге у дома {n}.") for n in (20, 21)]
    late = make_appeal(personas.citizen, "roads-potholes", text="Яма на дороге у дома 22.")
    today = timezone.localtime(timezone.now(), MOSCOW).date()
    Appeal.objects.filter(pk__in=[a.pk for a in near]).update(deadline_at=end_of_day(add_working_days(today, 1)))
    Appeal.objects.filter(pk=late.pk).update(deadline_at=timezone.now() - dt.timedelta(hours=1))
    assert check_deadlines() == {"warned": 2, "overdue": 1}
    with CaptureQueriesContext(connection) as second:
        assert check_deadlines() == {"warned": 0, "overdue": 0}
    assert len(second.captured_queries) == 1  # the candidates, none of them left
    # a warned appeal that then misses its deadline is still escalated
    Appeal.objects.filter(pk=near[0].pk).update(deadline_at=timezone.now() - dt.timedelta(minutes=5))
    assert check_deadlines() == {"warned": 0, "overdue": 1}
