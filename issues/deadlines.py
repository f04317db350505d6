"""Deadline arithmetic for appeals: working days by the Russian production calendar
(workalendar's Russia, completed with the day transfers of government decrees that the
library does not yet know) or 59-FZ calendar days."""
from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings
from workalendar.europe import Russia

MOSCOW = ZoneInfo("Europe/Moscow")

# Official transfers missing from workalendar 17 (each comes from the yearly government decree
# on moving days off). Keep this table to what is published; workalendar covers the rest.
DECREE_DAYS_OFF: dict[int, tuple[dt.date, ...]] = {
    2026: (dt.date(2026, 1, 9), dt.date(2026, 12, 31)),
}
DECREE_WORKING_DAYS: dict[int, tuple[dt.date, ...]] = {}


class RussianProductionCalendar(Russia):
    """workalendar's Russia plus the decree transfers above."""

    def get_calendar_holidays(self, year: int) -> list[tuple[dt.date, str]]:
        holidays = list(super().get_calendar_holidays(year))
        holidays += [(day, "Перенос выходного дня") for day in DECREE_DAYS_OFF.get(year, ())]
        return holidays

    def is_working_day(self, day: dt.date, extra_working_days: object = None, extra_holidays: object = None) -> bool:
        if day in DECREE_WORKING_DAYS.get(day.year, ()):
            return True
        return bool(super().is_working_day(day, extra_working_days, extra_holidays))


@lru_cache(maxsize=1)
def calendar() -> RussianProductionCalendar:
    return RussianProductionCalendar()


def end_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=MOSCOW)


def add_working_days(start: dt.date, days: int) -> dt.date:
    cal = calendar()
    day = start
    added = 0
    while added < days:
        day += dt.timedelta(days=1)
        if cal.is_working_day(day):
            added += 1
    return day


def compute_deadline(registered_at: dt.datetime, *, working_days: int | None, calendar_days: int | None) -> dt.datetime:
    """Deadline at the end of the due day (Moscow time).

    ``working_days`` counts production-calendar working days after the registration day;
    ``calendar_days`` counts plain days (59-FZ art. 12: 30 days from registration)."""
    local = registered_at.astimezone(MOSCOW).date()
    if working_days:
        return end_of_day(add_working_days(local, working_days))
    return end_of_day(local + dt.timedelta(days=calendar_days or 30))


def working_days_between(start: dt.datetime, end: dt.datetime) -> int:
    """Working days after ``start``'s day up to and including ``end``'s day (negative if end < start)."""
    cal = calendar()
    a, b = start.astimezone(MOSCOW).date(), end.astimezone(MOSCOW).date()
    sign = 1
    if b < a:
        a, b, sign = b, a, -1
    count = 0
    day = a
    while day < b:
        day += dt.timedelta(days=1)
        if cal.is_working_day(day):
            count += 1
    return sign * count


def sla_state(deadline_at: dt.datetime | None, now: dt.datetime, *, done: bool) -> str:
    """"on_track", "due_soon" (≤ DUE_SOON_WORKING_DAYS working days left), "overdue" or "none"."""
    if deadline_at is None or done:
        return "none"
    if now > deadline_at:
        return "overdue"
    if working_days_between(now, deadline_at) <= settings.APPEAL_DUE_SOON_WORKING_DAYS:
        return "due_soon"
    return "on_track"
