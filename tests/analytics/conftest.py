"""A small fixed history of appeals built through issues.actions on a controlled clock, with the
figures worked out by hand in ``EXPECTED``.

t0 = Monday 2026-07-06 10:00 MSK; every appeal registers itself at submission (web channel), so
registered_at = received_at. Roads potholes: 10 working days → deadline 2026-07-20 23:59:59;
street light: 5 working days → 2026-07-13 23:59:59. The clock ends at t0 + 30 days (2026-08-05).

| appeal | district  | category        | what happens                                              | days | on time |
| A1     | centralny | roads-potholes  | answered t0+2d; rated 5 solved → closed                   | 2    | yes     |
| A2     | centralny | roads-potholes  | answered t0+16d (after 07-20); rated 4 solved → closed    | 16   | no      |
| A3     | centralny | roads-potholes  | extended +10 d (→ 07-30); answered t0+20d; rated 1        | 22   | yes     |
|        |           |                 | unsolved → reopened; answered again t0+22d (07-28)        |      |         |
| A4     | centralny | light-street    | redirected to Комдорхоз t0+1d; answered t0+5d (≤ 07-13);  | 5    | yes     |
|        |           |                 | rated 3 solved → closed                                   |      |         |
| A5     | sormovsky | light-street    | redirected t0+1d; answered t0+9d (07-15 > 07-13: the      | 9    | no      |
|        |           |                 | original deadline stands after a redirect)                |      |         |
| A6     | sormovsky | roads-potholes  | never answered; past its deadline at the end              | –    | overdue |
| A7     | sormovsky | roads-potholes  | received t0+25d, open, not yet due                        | –    | –       |
| A8     | centralny | light-street    | kind repeated; answered t0+1d; hidden by the moderator    | 1    | yes     |
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from geoportal.models import Agency
from issues import actions
from issues.models import Appeal
from tests.issues.helpers import make_appeal

MSK = ZoneInfo("Europe/Moscow")
T0 = dt.datetime(2026, 7, 6, 10, 0, tzinfo=MSK)
END = T0 + dt.timedelta(days=30)
CENTRALNY_POP = 132_000
SORMOVSKY_POP = 162_000
TERRITORY_POP = 1_561_000

EXPECTED_ALL = {
    "count": 8, "on_time_share": 4 / 7, "overdue": 3, "median_days": 7.0, "p90_days": 19.0, "redirects": 2,
    "redirected": 2, "redirect_share": 0.25, "repeated": 1, "reopened": 1, "satisfaction_avg": 3.25, "rated": 4,
    "satisfaction_1": 1, "satisfaction_2": 0, "satisfaction_3": 1, "satisfaction_4": 1, "satisfaction_5": 1,
    "solved_share": 0.75, "answered": 6, "open": 2,
}


class Clock:
    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def at(self, moment: dt.datetime) -> None:
        self.now = moment

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    """timezone.now() under test control (the actions and the statistics read it)."""
    fake = Clock(T0)
    monkeypatch.setattr(timezone, "now", fake)
    yield fake


@dataclass
class Dataset:
    appeals: dict[str, Appeal] = field(default_factory=dict)
    end: dt.datetime = END

    def __getitem__(self, name: str) -> Appeal:
        return self.appeals[name]


def _days(n: float) -> dt.datetime:
    return T0 + dt.timedelta(days=n)


@pytest.fixture
def dataset(personas: Any, clock: Clock) -> Dataset:
    p = personas
    roads = Agency.objects.get(short_name="Комдорхоз")
    data = Dataset()
    make: Callable[..., Appeal] = make_appeal

    clock.at(T0)
    a1 = make(p.citizen, "roads-potholes", text="Яма на дороге у дома 1, колёса пробиты.")
    a2 = make(p.citizen, "roads-potholes", text="Яма на дороге у дома 2, опасно ездить.")
    a3 = make(p.citizen, "roads-potholes", text="Провал асфальта у дома 3 на перекрёстке.")
    a4 = make(p.citizen, "light-street", text="Не горит фонарь у дома 4 уже неделю.")
    a5 = make(p.citizen, "light-street", district="sormovsky", text="Не горит фонарь у дома 5, темно.")
    a6 = make(p.citizen, "roads-potholes", district="sormovsky", text="Яма у дома 6 на проезжей части.")
    a8 = make(p.other_citizen, "light-street", text="Повторно: не горит фонарь у дома 8.", kind="repeated")
    assert {a.responsible_agency.short_name for a in (a1, a2, a3, a6)} == {"Комдорхоз"}
    assert a4.responsible_agency.short_name == "Горсвет" and a4.deadline_at == dt.datetime(
        2026, 7, 13, 23, 59, 59, tzinfo=MSK)
    assert a1.deadline_at == dt.datetime(2026, 7, 20, 23, 59, 59, tzinfo=MSK)

    clock.at(_days(1))
    actions.answer_appeal(actions.accept_appeal(a8, actor=p.executor_b), actor=p.executor_b,
                          text="Фонарь заменён, освещение восстановлено.", result="measures_taken")
    actions.moderate_appeal(a8, actor=p.moderator, is_public=False, reason="Содержит персональные данные")
    for appeal in (a4, a5):
        actions.redirect_appeal(appeal, actor=p.operator, agency=roads, reason="Опора на балансе дорожной службы")
        actions.accept_appeal(appeal, actor=p.executor_a)
    actions.extend_deadline(actions.accept_appeal(a3, actor=p.executor_a), actor=p.agency_head, days=10,
                            reason="Требуется проектирование ремонта")
    clock.at(_days(2))
    actions.answer_appeal(actions.accept_appeal(a1, actor=p.executor_a), actor=p.executor_a,
                          text="Яма заделана, фото приложено.", result="measures_taken")
    actions.rate_appeal(a1, actor=p.citizen, solved=True, score=5, politeness=5, timeliness=5)
    clock.at(_days(5))
    actions.answer_appeal(a4, actor=p.executor_a, text="Фонарь отремонтирован.", result="measures_taken")
    actions.rate_appeal(a4, actor=p.citizen, solved=True, score=3, politeness=4, timeliness=2)
    clock.at(_days(9))
    actions.answer_appeal(a5, actor=p.executor_a, text="Фонарь отремонтирован.", result="measures_taken")
    clock.at(_days(16))
    actions.answer_appeal(actions.accept_appeal(a2, actor=p.executor_a), actor=p.executor_a,
                          text="Яма заделана с опозданием.", result="measures_taken")
    actions.rate_appeal(a2, actor=p.citizen, solved=True, score=4)
    clock.at(_days(20))
    actions.answer_appeal(a3, actor=p.executor_a, text="Ремонт включён в план.", result="explained")
    clock.at(_days(21))
    actions.rate_appeal(a3, actor=p.citizen, solved=False, score=1, comment="Провал на месте, ничего не сделано")
    clock.at(_days(22))
    actions.answer_appeal(a3, actor=p.executor_a, text="Провал устранён, асфальт уложен.", result="measures_taken")
    clock.at(_days(25))
    a7 = make(p.other_citizen, "roads-potholes", district="sormovsky", text="Новая яма у дома 7 во дворе.")
    clock.at(END)
    for name, appeal in zip(("A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8"), (a1, a2, a3, a4, a5, a6, a7, a8),
                            strict=True):
        appeal.refresh_from_db()
        data.appeals[name] = appeal
    assert data["A3"].extended and data["A3"].reopen_count == 1 and data["A3"].status == "answered"
    assert data["A5"].redirect_count == 1 and data["A5"].deadline_at == a4.deadline_at
    return data
