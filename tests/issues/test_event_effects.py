"""An appeal action's side effects follow from the events it recorded (issues.actions.base):
the author's notice from a status event, the agency's from a routing event, and one change
follow-up, last, for every write that changed what the appeal shows; nothing else."""
from __future__ import annotations

from typing import Any

import pytest

from issues import actions
from outbox.models import OutboxMessage
from tests.issues.helpers import make_appeal

pytestmark = pytest.mark.django_db

DELIVER = "inbox.tasks.deliver_notification"
CHANGED = "issues.tasks.announce_change"


def owed_by_last_write() -> list[tuple[str, list[Any]]]:
    message = OutboxMessage.objects.order_by("-id").first()
    return [(name, args) for name, args in message.effects] if message else []


def test_each_status_event_tells_the_author_and_owes_one_change_follow_up_last(personas: Any) -> None:
    appeal = make_appeal(personas.citizen, "roads-potholes")
    actions.accept_appeal(appeal, actor=personas.executor_a)
    owed = owed_by_last_write()
    assert [name for name, _args in owed] == [DELIVER, CHANGED]
    user_id, appeal_id, kind, title, _body = owed[0][1]
    assert (user_id, appeal_id, kind) == (personas.citizen.pk, appeal.pk, "status") and "принято в работу" in title
    actions.answer_appeal(appeal, actor=personas.executor_a, text="Яма заделана полностью.", result="measures_taken")
    actions.rate_appeal(appeal, actor=personas.citizen, solved=True, score=5)  # a rating and a closing: two events
    owed = owed_by_last_write()
    assert [name for name, _args in owed] == [DELIVER, CHANGED] and "закрыто" in owed[0][1][3]


def test_writes_that_change_nothing_shown_owe_no_change_follow_up(personas: Any) -> None:
    appeal = make_appeal(personas.citizen, "roads-potholes")
    before = OutboxMessage.objects.count()
    actions.support_appeal(appeal, actor=personas.other_citizen)
    actions.post_message(appeal, actor=personas.executor_a, text="Служебная пометка", visibility="internal")
    assert OutboxMessage.objects.count() == before  # neither owes anything
    actions.post_message(appeal, actor=personas.executor_a, text="Выезжаем завтра.", visibility="private")
    assert [name for name, _args in owed_by_last_write()] == [DELIVER]  # the author hears; nothing redrawn
