"""Open311 error bodies are a public format (GeoReport v2: a list of ``code`` + ``description``):
the codes, the element and field names never change; only the human ``description`` (and a
POST's ``service_notice``, the discovery's ``key_service``) follows the request's language —
Russian by default and for a client that asks for nothing, English for ``Accept-Language: en``.
And no Russian text of the Open311 modules bypasses gettext."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from issues.models import Appeal
from tests.i18n_checks import assert_translated, gettext_msgids, untranslated_cyrillic

from .helpers import post, valid, xml_doc

pytestmark = pytest.mark.django_db
CYRILLIC = re.compile(r"[А-Яа-яЁё]")
OPEN311 = Path(__file__).resolve().parents[2] / "open311"
EN = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}


def test_bad_filters_are_described_in_the_request_language_in_both_formats(client):
    russian = client.get("/open311/v2/requests.json", {"page_size": "many"})
    assert russian.status_code == 400 and russian["Content-Language"] == "ru"
    assert valid(russian, "errors") == [{"code": 400, "description": "page и page_size — целые числа."}]
    english = client.get("/open311/v2/requests.json", {"page_size": "many"}, **EN)
    assert english.status_code == 400 and english["Content-Language"] == "en"
    assert valid(english, "errors") == [{"code": 400, "description": "page and page_size are integers."}]
    as_xml = client.get("/open311/v2/requests.xml", {"start_date": "2026-03-01", "end_date": "2026-01-01"}, **EN)
    assert as_xml.status_code == 400
    assert xml_doc(as_xml, "errors")[1] == [{"code": "400", "description": "end_date is before start_date."}]
    assert b"<errors><error><code>400</code><description>" in as_xml.content  # the spec's element names
    russian_xml = client.get("/open311/v2/requests.xml", {"start_date": "2026-03-01", "end_date": "2026-01-01"})
    assert xml_doc(russian_xml, "errors")[1] == [{"code": "400", "description": "end_date раньше start_date."}]


def test_unknown_things_are_404s_described_in_the_request_language(client):
    assert valid(client.get("/open311/v2/services/no-such.json"), "errors") == [
        {"code": 404, "description": "service_code: неизвестная услуга 'no-such'."}]
    assert valid(client.get("/open311/v2/services/no-such.json", **EN), "errors") == [
        {"code": 404, "description": "service_code: unknown service 'no-such'."}]
    missing = client.get("/open311/v2/requests.json", {"jurisdiction_id": "mars"}, **EN)
    assert missing.status_code == 404 and valid(missing, "errors") == [
        {"code": 404, "description": "Unknown jurisdiction_id 'mars'."}]
    token = client.get("/open311/v2/tokens/7d3f1c2e-0000-4000-8000-000000000000.json", **EN)
    assert token.status_code == 404 and valid(token, "errors") == [{"code": 404, "description": "Unknown token."}]


def test_a_post_is_refused_and_accepted_in_the_request_language(personas, client, key):
    no_key = client.post("/open311/v2/requests.json", {"service_code": "transport-schedule"}, **EN)
    assert no_key.status_code == 403 and valid(no_key, "errors") == [{"code": 403, "description": "api_key is required."}]
    assert valid(client.post("/open311/v2/requests.json", {"service_code": "transport-schedule"}), "errors") == [
        {"code": 403, "description": "Нужен api_key."}]
    before = Appeal.objects.count()
    bad = {"api_key": key, "service_code": "transport-schedule", "lat": "north", "long": "44",
           "email": "not-an-address", "description": "Автобус 22 не ходит по выходным, люди ждут по часу."}
    english = client.post("/open311/v2/requests.json", bad, **EN)
    assert english.status_code == 400
    assert {e["description"] for e in valid(english, "errors")} == {
        "email: not a valid e-mail address.", "lat and long are numbers in WGS84 degrees, sent together."}
    russian = client.post("/open311/v2/requests.json", bad)
    assert {e["description"] for e in valid(russian, "errors")} == {
        "email: неверный адрес электронной почты.", "lat и long — числа в градусах WGS84, передаются вместе."}
    assert Appeal.objects.count() == before  # refusals wrote nothing
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # the helper's POST, from an English client
    response = post(client, key)
    assert response.status_code == 200, response.content
    body = valid(response, "post_response")[0]
    appeal = Appeal.objects.get(open311__token=body["token"])
    assert body["service_notice"] == f"Request No. {appeal.number} accepted, awaiting registration by an operator."
    assert appeal.text == "Автобус 22 не ходит по выходным, люди ждут по часу."  # stored as the client sent it
    assert response["Content-Language"] == "en"


def test_the_default_is_russian_for_a_client_that_asks_for_nothing(client):
    discovery = client.get("/open311/v2/discovery.json")
    assert discovery.json()["key_service"] == "API-ключи для подачи заявок выдаёт администратор портала."
    assert client.get("/open311/v2/discovery.json", **EN).json()["key_service"] == (
        "API keys for posting requests are issued by the portal's administrator.")


def test_a_request_s_notes_follow_the_language_and_its_text_does_not(personas, client):
    from django.utils import timezone

    from issues import actions
    from tests.issues.helpers import make_appeal

    roads = make_appeal(personas.citizen, "roads-signs", text="Стёрлась разметка на пешеходном переходе.")
    actions.accept_appeal(roads, actor=personas.executor_a)
    actions.extend_deadline(roads, actor=personas.agency_head, days=10, reason="Нужна погода для покраски.")
    roads.refresh_from_db()
    due = f"{timezone.localtime(roads.deadline_at):%d.%m.%Y}"
    russian = valid(client.get(f"/open311/v2/requests/{roads.pk}.json"), "service_requests")[0]
    assert russian["status_notes"] == f"Принято в работу, срок продлён, срок ответа {due}."
    assert russian["service_notice"] == f"Обращение № {roads.number}. Срок рассмотрения — 10 рабочих дн."
    english = valid(client.get(f"/open311/v2/requests/{roads.pk}.json", **EN), "service_requests")[0]
    assert english["status_notes"] == f"Accepted, deadline extended, answer due {due}."
    assert english["service_notice"] == f"Request No. {roads.number}. It is considered within 10 working days."
    # the request itself (the citizen's words) is data: the same in both
    assert english["description"] == russian["description"] and CYRILLIC.search(english["description"])
    assert english["status"] == russian["status"] == "open"


MODULES = ("views.py", "inputs.py", "feed.py", "admin.py", "models.py", "render.py", "actions.py")


def test_every_russian_text_of_open311_goes_through_gettext_and_has_an_english_translation():
    left = [text for name in MODULES for text in untranslated_cyrillic(OPEN311 / name)]
    assert left == []
    msgids = gettext_msgids(OPEN311 / name for name in MODULES)
    assert len(msgids) >= 50
    assert_translated(msgids)


