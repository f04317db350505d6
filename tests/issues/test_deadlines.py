"""Deadline arithmetic by the Russian production calendar and 59-FZ, through the real
registration and in the API: working days across the New Year holidays and the 2026 decree
transfers, 30 calendar days, the SLA state and the 3-day registration rule."""
from __future__ import annotations

import datetime as dt

import pytest
from workalendar.europe import Russia

from issues import actions
from issues.deadlines import MOSCOW, calendar, compute_deadline, sla_state
from issues.models import Appeal, Category, DeadlineRule, DeadlineViolation

from .helpers import point_in


def test_ten_working_days_across_the_new_year_holidays():
    registered = dt.datetime(2026, 12, 30, 11, 0, tzinfo=MOSCOW)
    # 31 Dec 2026 is off by the 2026 decree, 1-8 Jan 2027 are holidays, 9-10 Jan a weekend:
    # the working days are 11-15 and 18-22 January
    assert compute_deadline(registered, working_days=10, calendar_days=None) == dt.datetime(
        2027, 1, 22, 23, 59, 59, tzinfo=MOSCOW)
    # workalendar alone does not know the 2026 transfers and would say the 21st
    assert Russia().add_working_days(dt.date(2026, 12, 30), 10) == dt.date(2027, 1, 21)


@pytest.mark.parametrize("day", [dt.date(2026, 12, 31), dt.date(2026, 1, 9)])
def test_the_2026_decree_days_off(day):
    """Government decree on the 2026 transfers: 3 Jan (Sat) → 9 Jan (Fri), 4 Jan (Sun) → 31 Dec (Thu)."""
    assert day.weekday() < 5
    assert Russia().is_working_day(day)  # what workalendar says by itself
    assert not calendar().is_working_day(day)  # what the production calendar says


def test_holidays_that_workalendar_knows_stay():
    cal = calendar()
    assert not cal.is_working_day(dt.date(2027, 1, 5))  # New Year holidays
    assert not cal.is_working_day(dt.date(2026, 6, 12))  # Russia Day (Friday)
    assert not cal.is_working_day(dt.date(2026, 11, 4))  # National Unity Day (Wednesday)
    assert cal.is_working_day(dt.date(2027, 1, 11))


def test_may_holidays_and_weekends():
    registered = dt.datetime(2026, 4, 30, 17, 0, tzinfo=MOSCOW)  # Thursday before 1 May
    # 1 May (Fri) holiday, 2-3 weekend, 4-8 working, 9 (Sat) Victory Day, 11 May its day off
    assert compute_deadline(registered, working_days=5, calendar_days=None).date() == dt.date(2026, 5, 8)
    assert compute_deadline(registered, working_days=6, calendar_days=None).date() == dt.date(2026, 5, 12)


def test_thirty_calendar_days_by_59_fz():
    registered = dt.datetime(2026, 2, 10, 9, 0, tzinfo=MOSCOW)
    assert compute_deadline(registered, working_days=None, calendar_days=30) == dt.datetime(
        2026, 3, 12, 23, 59, 59, tzinfo=MOSCOW)
    # holidays do not stop calendar days
    assert compute_deadline(dt.datetime(2026, 12, 30, 11, 0, tzinfo=MOSCOW), working_days=None,
                            calendar_days=30).date() == dt.date(2027, 1, 29)


def test_the_registration_day_is_read_in_moscow_time():
    # 22:30 UTC on 29 Dec is already 30 Dec in Moscow
    late_utc = dt.datetime(2026, 12, 29, 22, 30, tzinfo=dt.UTC)
    assert compute_deadline(late_utc, working_days=10, calendar_days=None).date() == dt.date(2027, 1, 22)


def test_sla_states():
    friday = dt.datetime(2026, 3, 6, 12, 0, tzinfo=MOSCOW)
    assert friday.weekday() == 4
    eod = lambda y, m, d: dt.datetime(y, m, d, 23, 59, 59, tzinfo=MOSCOW)  # noqa: E731
    assert sla_state(friday - dt.timedelta(minutes=1), friday, done=False) == "overdue"
    assert sla_state(eod(2026, 3, 6), friday, done=False) == "due_soon"  # today
    # 7-8 March weekend, 9 March (Mon) the day off for 8 March: Tue and Wed are 2 working days
    assert sla_state(eod(2026, 3, 11), friday, done=False) == "due_soon"
    assert sla_state(eod(2026, 3, 12), friday, done=False) == "on_track"  # 3 working days
    assert sla_state(eod(2026, 3, 30), friday, done=False) == "on_track"
    assert sla_state(friday - dt.timedelta(days=3), friday, done=True) == "none"  # answered: no clock
    assert sla_state(None, friday, done=False) == "none"


def _paper(personas, category_code: str, received_at: dt.datetime) -> Appeal:
    return actions.submit_appeal(author=None, actor=personas.operator, channel="paper",
                                 category=Category.objects.get(code=category_code),
                                 text="Прошу отремонтировать дорогу у дома 41.", address="ул. Ванеева, 4",
                                 author_name="Козлов П. П.", author_contact="ул. Ванеева, 4",
                                 location=point_in("nagorny"), received_at=received_at)


@pytest.mark.django_db
def test_registration_on_30_december_with_a_10_working_day_rule(personas):
    category = Category.objects.get(code="roads-potholes")
    assert (category.deadline_rule, category.deadline_days) == (DeadlineRule.WORKING_DAYS, 10)
    appeal = _paper(personas, "roads-potholes", dt.datetime(2026, 12, 29, 16, 0, tzinfo=MOSCOW))
    actions.register_appeal(appeal, actor=personas.operator, now=dt.datetime(2026, 12, 30, 11, 0, tzinfo=MOSCOW))
    appeal = Appeal.objects.get(pk=appeal.pk)
    assert appeal.deadline_at == dt.datetime(2027, 1, 22, 23, 59, 59, tzinfo=MOSCOW)
    assert appeal.events.get(kind="register").data["deadline_at"] == "2027-01-22T23:59:59+03:00"
    detail = personas.client("operator").get(f"/api/v1/appeals/{appeal.pk}/").json()["properties"]
    assert dt.datetime.fromisoformat(detail["deadline_at"]) == appeal.deadline_at
    assert not DeadlineViolation.objects.filter(appeal=appeal).exists()  # registered within 3 days


@pytest.mark.django_db
def test_registration_with_the_59_fz_rule(personas):
    category = Category.objects.get(code="transport-route")
    assert category.deadline_rule == DeadlineRule.CALENDAR_DAYS and category.deadline_days == 30
    appeal = _paper(personas, "transport-route", dt.datetime(2026, 12, 29, 16, 0, tzinfo=MOSCOW))
    actions.register_appeal(appeal, actor=personas.operator, now=dt.datetime(2026, 12, 30, 11, 0, tzinfo=MOSCOW))
    assert Appeal.objects.get(pk=appeal.pk).deadline_at == dt.datetime(2027, 1, 29, 23, 59, 59, tzinfo=MOSCOW)


@pytest.mark.django_db
@pytest.mark.parametrize(("delay", "violation"), [(dt.timedelta(days=3), False),
                                                  (dt.timedelta(days=3, minutes=1), True),
                                                  (dt.timedelta(days=5), True)])
def test_registration_later_than_3_days_is_a_violation(personas, delay, violation):
    registered = dt.datetime(2026, 12, 30, 11, 0, tzinfo=MOSCOW)
    appeal = _paper(personas, "roads-potholes", registered - delay)
    actions.register_appeal(appeal, actor=personas.operator, now=registered)
    found = list(DeadlineViolation.objects.filter(appeal=appeal).values_list("kind", flat=True))
    assert found == (["registration"] if violation else [])
    # the answer deadline still runs from the registration, not from the receipt
    assert Appeal.objects.get(pk=appeal.pk).deadline_at == dt.datetime(2027, 1, 22, 23, 59, 59, tzinfo=MOSCOW)
