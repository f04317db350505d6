"""The Open311 feed shows a merged appeal only if it had passed registration: one merged while
still awaiting the operator was never public, so neither its text nor its photos go out."""
from __future__ import annotations

import pytest

from issues import actions
from issues.models import Appeal
from tests.issues.helpers import make_appeal

from .helpers import post, valid

pytestmark = pytest.mark.django_db


def test_merged_never_registered_appeal_is_not_in_the_feed(personas, client, key):
    target = make_appeal(personas.citizen, "transport-schedule", text="Автобус 22 не ходит по выходным.")
    token = post(client, key).json()[0]["token"]
    fresh = Appeal.objects.get(open311__token=token)
    assert fresh.registered_at is None
    actions.merge_appeal(fresh, actor=personas.moderator, into=target)
    assert client.get(f"/open311/v2/requests/{fresh.pk}.json").status_code == 404
    listing = valid(client.get("/open311/v2/requests.json"), "service_requests")
    assert str(fresh.pk) not in {row["service_request_id"] for row in listing}

    registered = make_appeal(personas.other_citizen, "transport-schedule", text="Автобус 22 опять не пришёл.")
    actions.merge_appeal(registered, actor=personas.moderator, into=target)
    row = valid(client.get(f"/open311/v2/requests/{registered.pk}.json"), "service_requests")[0]
    assert row["status"] == "closed"  # a registered, then merged appeal still tells where it went
