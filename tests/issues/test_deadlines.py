"""Deadline arithmetic by the Russian production calendar and 59-FZ."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from workalendar.europe import Russia

from issues import actions
from issues.deadlines import MOSCOW, compute_deadline, sla_state
from issues.models import Appeal, Category, DeadlineViolation

from .helpers import point_in


def test_ten_working_days_across_the_new_year_holidays():
    registered = dt.datetime(2026, 12, 30, 11, 0, tzinfo=MOSCOW)
    deadline = compute_deadline(registered, working_days=10, calendar_days=None)
    # 31 Dec 2026 is a day off by the 2026 transfer decree, 1-8 Jan are holidays, 9-10 Jan a weekend
    assert deadline == dt.datetime(2027, 1, 22, 23, 59, 59, tzinfo=MOSCOW)
    # workalendar alone does not know the 2026 transfer and would say the 21st
    assert Russia().add_working_days(dt.date(2026, 12, 30), 10) == dt.date(2027, 1, 21)


def test_thirty_calendar_days_by_59_fz():
    registered = dt.datetime(2026, 2, 10, 9, 0, tzinfo=MOSCOW)
    assert compute_deadline(registered, working_days=None, calendar_days=30) == dt.datetime(
        2026, 3, 12, 23, 59, 59, tzinfo=MOSCOW)


def test_may_holidays_and_weekends():
    registered = dt.datetime(2026, 4, 30, 17, 0, tzinfo=MOSCOW)  # Thursday before 1 May
    # 1 May (Fri) holiday, 2-3 weekend, 4-8 working, 9 (Sat) Victory Day, 11 May shift day off
    assert compute_deadline(registered, working_days=5, calendar_days=None).date() == dt.date(2026, 5, 8)


def test_sla_states():
    now = dt.datetime(2026, 3, 2, 12, 0, tzinfo=MOSCOW)  # Monday
    assert sla_state(now - dt.timedelta(hours=1), now, done=False) == "overdue"
    assert sla_state(dt.datetime(2026, 3, 4, 23, 59, tzinfo=MOSCOW), now, done=False) == "due_soon"
    assert sla_state(dt.datetime(2026, 3, 20, 23, 59, tzinfo=MOSCOW), now, done=False) == "on_track"
    assert sla_state(now - dt.timedelta(days=3), now, done=True) == "none"


@pytest.mark.django_db
def test_late_registration_is_recorded_as_a_violation(personas):
    appeal = actions.submit_appeal(author=None, actor=personas.operator, channel="paper",
                                   category=Category.objects.get(code="transport-route"),
                                   text="Прошу изменить маршрут автобуса 41.", address="ул. Ванеева, 4",
                                   author_name="Козлов П. П.", author_contact="ул. Ванеева, 4",
                                   location=point_in("nagorny"),
                                   received_at=timezone.now() - dt.timedelta(days=5))
    actions.register_appeal(appeal, actor=personas.operator)
    assert DeadlineViolation.objects.filter(appeal=appeal, kind="registration").exists()
    appeal = Appeal.objects.get(pk=appeal.pk)
    assert appeal.deadline_at.astimezone(MOSCOW).date() == (
        appeal.registered_at.astimezone(MOSCOW).date() + dt.timedelta(days=30))
