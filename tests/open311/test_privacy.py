"""The requester's name and contacts never reach a GET: not as fields, not typed into the
description, not in the answer's greeting, in JSON and XML alike."""
from __future__ import annotations

import pytest

from issues import actions
from issues.models import Appeal

from .helpers import EMAIL, FIRST, LAST, PHONE, post

pytestmark = pytest.mark.django_db
SECRETS = (FIRST, LAST, EMAIL, PHONE, "evlampia", "9123456789", "345-67-89")


def test_no_personal_data_in_any_get(personas, client, key):
    token = post(client, key, service_code="light-park",
                 description=f"Не горят фонари в парке. {FIRST} {LAST}, {EMAIL}, тел. {PHONE}",
                 address_string="Парк Кулибина, центральная аллея").json()[0]["token"]
    appeal = Appeal.objects.get(open311__token=token)
    assert EMAIL in appeal.text and appeal.author_contact  # stored for the staff
    actions.register_appeal(appeal, actor=personas.operator)
    paths = ["/open311/v2/requests", f"/open311/v2/requests/{appeal.pk}", f"/open311/v2/tokens/{token}",
             "/open311/v2/services", "/open311/v2/discovery"]
    bodies = {f"{p}.{fmt}": client.get(f"{p}.{fmt}").content.decode() for p in paths for fmt in ("json", "xml")}
    assert all(appeal.number in body for path, body in bodies.items() if "/requests" in path)
    assert all("Не горят фонари в парке" in body for path, body in bodies.items() if "/requests" in path)
    for path, body in bodies.items():
        for secret in SECRETS:
            assert secret.lower() not in body.lower(), (path, secret)

    appeal.refresh_from_db()
    assert appeal.status == "routed" and appeal.responsible_agency.name
    executor = personas.executor_b
    actions.accept_appeal(appeal, actor=executor)
    actions.answer_appeal(appeal, actor=executor, result="measures_taken",
                          text=f"Уважаемая {FIRST}! Фонари в парке включены, ответ также направлен на {EMAIL}.")
    for fmt in ("json", "xml"):
        body = client.get(f"/open311/v2/requests/{appeal.pk}.{fmt}").content.decode()
        assert "Фонари в парке включены" in body
        for secret in SECRETS:
            assert secret.lower() not in body.lower(), (fmt, secret)
