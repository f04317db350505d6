"""What one citizen's submission costs the database (issue 19: 50 concurrent submitters), and the
numbering it keeps while taking the year's number last."""
from __future__ import annotations

import json
import re
import uuid

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from issues import actions, notifications
from issues.models import Appeal, AppealCounter, Category, IdempotencyKey, Status
from outbox import core as outbox
from outbox.models import OutboxMessage

from .helpers import make_appeal, point_in

pytestmark = pytest.mark.django_db
URL = "/api/v1/appeals/"
# Was 46 statements before issue 19's rework (the district looked up 4 times, the appeal locked 3
# times, the competent agencies read twice, the appeal read back before answering). Now 24: token,
# idempotency claim, category with its parent, district, agencies at the point, active router,
# rule table, insert, submit event, registration (update, event), routing (update, event), the
# agency's staff, photos and author of the answer, idempotency record, outbox row, and last the
# number (one statement: counter, appeal, placeholders replaced); two savepoint pairs (the
# request's transaction is one here, inside the test's), and after commit the outbox's published mark.
MAX_STATEMENTS = 24


def _body() -> str:
    point = point_in("centralny")
    return json.dumps({"category": Category.objects.get(code="transport-schedule").pk,
                       "text": "Автобус 45 не ходит по вечерам после восьми.", "lat": point.y, "lon": point.x})


def test_one_submission_costs_a_bounded_number_of_statements(personas, django_capture_on_commit_callbacks):
    from django.test import Client
    from rest_framework.authtoken.models import Token

    # as the phone app submits: a token, JSON, an Idempotency-Key
    token = Token.objects.get_or_create(user=personas.citizen)[0].key
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    body = _body()
    client.post(URL, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="warm-up")  # caches, sessions
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)
    assert response.status_code == 201, response.content
    statements = [q["sql"] for q in queries.captured_queries]
    assert len(statements) <= MAX_STATEMENTS, "\n".join(statements)
    assert sum("FOR UPDATE" in sql for sql in statements) == 0  # the inserted row is not locked again
    assert sum(sql.startswith('SELECT "geoportal_district"') for sql in statements) == 1  # the district, once
    # The answer is built from the action's own instance: the same as reading the appeal back.
    created = response.json()
    assert created == client.get(f"{URL}{created['id']}/").json()
    assert re.fullmatch(r"А-\d{4}-\d{6}", created["properties"]["number"])
    assert created["properties"]["status"] == Status.ROUTED
    assert IdempotencyKey.objects.get(appeal_id=created["id"]).response_body == created
    # The year's number is the write's last statement: after it only the commit (here the release
    # of the request's savepoint, inside the test's transaction) and the after-commit publish.
    numbering = next(i for i, sql in enumerate(statements) if "issues_appealcounter" in sql)
    assert all(sql.startswith(('RELEASE SAVEPOINT', 'UPDATE "outbox_outboxmessage" SET "published_at"'))
               for sql in statements[numbering + 1:]), statements[numbering:]
    # the notices composed before the number carry it (the placeholder replaced in the outbox row)
    number = created["properties"]["number"]
    effects = json.dumps(OutboxMessage.objects.get(effects__contains=[["issues.tasks.announce_change",
                                                                       [created["id"]]]]).effects,
                         ensure_ascii=False)
    assert f"Обращение {number} зарегистрировано" in effects and f"Обращение {number} направлено" in effects
    assert "~" not in effects


def test_a_submission_that_fails_before_its_number_takes_none(personas, monkeypatch):
    """The number is taken by the write's last statement: a write that fails before it leaves no
    gap (and one that fails after it gives it back: the next test)."""
    first = make_appeal(personas.citizen, "transport-schedule")
    last_before = AppealCounter.objects.get().last

    def broken(appeal: Appeal) -> None:
        raise RuntimeError("the agency's staff could not be read")

    monkeypatch.setattr(notifications, "new_appeal_for_agency", broken)
    with pytest.raises(RuntimeError):
        make_appeal(personas.citizen, "transport-schedule")
    assert AppealCounter.objects.get().last == last_before
    monkeypatch.undo()
    second = make_appeal(personas.citizen, "transport-schedule")
    year, number = first.number.rsplit("-", 1)
    assert second.number == f"{year}-{int(number) + 1:06d}"
    assert actions.next_number(second.received_at) == f"{year}-{int(number) + 2:06d}"  # one upsert per number


def test_a_submission_that_fails_after_its_number_gives_the_number_back(personas):
    """Inside a longer write the submission is numbered at its own end, under the year's row lock
    until the outer write commits: rolled back after the number, it leaves no gap."""
    first = make_appeal(personas.citizen, "transport-schedule")
    with pytest.raises(RuntimeError), transaction.atomic():
        taken = make_appeal(personas.citizen, "transport-schedule")
        assert not taken.number.startswith("~")
        raise RuntimeError("the outer write fails after the number")
    second = make_appeal(personas.citizen, "transport-schedule")
    year, number = first.number.rsplit("-", 1)
    assert taken.number == second.number == f"{year}-{int(number) + 1:06d}"


def test_inside_a_write_that_stores_its_own_effects_the_number_is_taken_at_once(personas):
    """An action that submits an appeal as one of its steps stores the outbox row after it: the
    number is then taken at once, and the notices carry it."""
    with transaction.atomic(), outbox.collect() as collected:
        appeal = make_appeal(personas.citizen, "transport-schedule")
        assert re.fullmatch(r"А-\d{4}-\d{6}", appeal.number)
    effects = json.dumps(OutboxMessage.objects.get(pk=collected.message_id).effects, ensure_ascii=False)
    assert f"Обращение {appeal.number} зарегистрировано" in effects and "~" not in effects
    assert Appeal.objects.get(pk=appeal.pk).number == appeal.number
