"""An id typed into a query string or a form is read by one rule (``geoportal.converters.query_id``):
a value that is no id — "²" passes ``str.isdigit`` and then fails ``int`` — is ignored or refused
with a 400 or 404, never a 500."""
from __future__ import annotations

import pytest
from django.test import Client

from geoportal.converters import query_id

pytestmark = pytest.mark.django_db

SUPERSCRIPT_TWO = "\u00b2"


def test_query_id_reads_ascii_ids_only() -> None:
    assert query_id("42") == 42
    assert [query_id(raw) for raw in (SUPERSCRIPT_TWO, "-1", "1e3", "", None, "9" * 19)] == [None] * 6


@pytest.mark.parametrize(("url", "expected"), [
    (f"/projects/?cycle={SUPERSCRIPT_TWO}", 200),
    (f"/api/v1/projects/?heading={SUPERSCRIPT_TWO}", 200),
    (f"/api/v1/comments/?kind=appeal&target={SUPERSCRIPT_TWO}", 400),
    ("/library/?year=99999999", 200),
    (f"/open311/v2/requests/{SUPERSCRIPT_TWO}.json", 404),
    (f"/open311/v2/requests.json?service_request_id=1,{SUPERSCRIPT_TWO}", 400),
    (f"/api/v1/stats/appeals?category={SUPERSCRIPT_TWO}", 400),
    (f"/api/v1/stats/hotspots?category={SUPERSCRIPT_TWO}", 400),
    (f"/api/v1/stats/repeats?category={SUPERSCRIPT_TWO}", 400),
    (f"/api/v1/stats/satisfaction?agency={SUPERSCRIPT_TWO}", 400),
    (f"/api/v1/stats/initiatives?cycle={SUPERSCRIPT_TWO}", 400),
    (f"/stats/initiatives/?cycle={SUPERSCRIPT_TWO}", 400),
    (f"/stats/agencies/1/?page={SUPERSCRIPT_TWO}", 400),
])
def test_a_number_that_is_no_id_is_not_a_server_error(url: str, expected: int) -> None:
    assert Client().get(url).status_code == expected


def test_notification_centre_ignores_a_page_or_target_that_is_no_number(personas) -> None:  # type: ignore[no-untyped-def]
    client = personas.client("citizen")
    assert client.get(f"/notifications/?page={SUPERSCRIPT_TWO}").status_code == 200
    refused = client.post("/notifications/", {"action": "follow", "kind": "district", "target_id": SUPERSCRIPT_TWO})
    assert refused.status_code == 400
