"""GET requests and requests/{id}: every filter of the spec, the default 90-day window and
1,000-request limit, page/page_size, the mapping of our lifecycle onto open/closed, and a
fixed number of queries per page."""
from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from issues import actions
from issues.models import Appeal, AppealEvent, AppealPhoto
from issues.tasks import process_photo
from open311.actions import issue_api_key

from ..issues.helpers import make_appeal
from .helpers import post, same_in_xml, valid, xml_doc

pytestmark = pytest.mark.django_db
URL = "/open311/v2/requests.json"


def ids(response) -> list[str]:
    return [r["service_request_id"] for r in valid(response, "service_requests")]


def aged(appeal: Appeal, days: int) -> Appeal:
    Appeal.objects.filter(pk=appeal.pk).update(received_at=timezone.now() - dt.timedelta(days=days))
    return appeal


@pytest.fixture
def five(personas) -> list[Appeal]:
    return [make_appeal(personas.citizen, "transport-schedule", text=f"Автобус {i} не ходит по вечерам.")
            for i in range(5)]


def test_list_and_detail_in_both_formats(personas, client, five):
    rows = valid(same_in_xml(client, "/open311/v2/requests", "service_requests"), "service_requests")
    assert [r["service_request_id"] for r in rows] == [str(a.pk) for a in reversed(five)]  # newest first
    one = five[2]
    detail = valid(same_in_xml(client, f"/open311/v2/requests/{one.pk}", "service_requests"), "service_requests")
    assert len(detail) == 1 and detail[0] == next(r for r in rows if r["service_request_id"] == str(one.pk))
    row = detail[0]
    assert row["description"] == one.text and row["service_code"] == "transport-schedule"
    assert (row["lat"], row["long"]) == (round(one.location.y, 6), round(one.location.x, 6))
    assert row["expected_datetime"] == timezone.localtime(one.deadline_at).isoformat(timespec="seconds")
    assert row["agency_responsible"] == one.responsible_agency.name
    last_event = AppealEvent.objects.filter(appeal=one).order_by("-created_at").first()
    assert row["updated_datetime"] == timezone.localtime(last_event.created_at).isoformat(timespec="seconds")
    for missing in ("999999999", "abc"):
        response = client.get(f"/open311/v2/requests/{missing}.json")
        assert response.status_code == 404 and valid(response, "errors")[0]["code"] == 404
        assert xml_doc(client.get(f"/open311/v2/requests/{missing}.xml"), "errors")[1][0]["code"] == "404"


def test_default_window_is_the_last_90_days_and_dates_select_older_ones(personas, client, five):
    old, older = aged(five[0], 120), aged(five[1], 200)
    recent = {str(a.pk) for a in five[2:]}
    assert set(ids(client.get(URL))) == recent
    start = (timezone.now() - dt.timedelta(days=130)).isoformat()
    end = (timezone.now() - dt.timedelta(days=100)).isoformat()
    assert ids(client.get(URL, {"start_date": start, "end_date": end})) == [str(old.pk)]
    # one date only: 90 days from it / up to it
    assert ids(client.get(URL, {"start_date": (timezone.now() - dt.timedelta(days=210)).date().isoformat()})) == \
        [str(older.pk)]
    assert set(ids(client.get(URL, {"end_date": (timezone.now() - dt.timedelta(days=110)).isoformat()}))) == \
        {str(old.pk)}
    exactly_90 = client.get(URL, {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-04-01T00:00:00Z"})
    assert exactly_90.status_code == 200


@pytest.mark.parametrize(("params", "words"), [
    ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-04-01T00:00:01Z"}, "90"),
    ({"start_date": "2026-03-01", "end_date": "2026-02-01"}, "раньше"),
    ({"start_date": "вчера"}, "start_date"),
    ({"end_date": "2026-13-01"}, "end_date"),
    ({"status": "maybe"}, "status"),
    ({"page": "0"}, "page"),
    ({"page_size": "1001"}, "page_size"),
    ({"page_size": "many"}, "page_size"),
    ({"service_request_id": "1,x"}, "service_request_id"),
])
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_bad_filters_are_400_in_the_spec_format(personas, client, params, words, fmt):
    response = client.get(f"/open311/v2/requests.{fmt}", params)
    assert response.status_code == 400
    body = valid(response, "errors") if fmt == "json" else xml_doc(response, "errors")[1]
    assert str(body[0]["code"]) == "400" and words in body[0]["description"]


def test_filters_by_ids_codes_and_status(personas, client, five):
    light = make_appeal(personas.citizen, "light-street", text="Фонарь не горит у подъезда 3.")
    actions.accept_appeal(light, actor=personas.executor_b)
    actions.answer_appeal(light, actor=personas.executor_b, text="Лампа заменена.", result="measures_taken")
    aged(five[0], 300)
    # explicit ids ignore every other parameter, even the window and a status
    chosen = client.get(URL, {"service_request_id": f"{five[0].pk}, {light.pk}", "status": "open",
                              "start_date": "2000-01-01"})
    assert set(ids(chosen)) == {str(five[0].pk), str(light.pk)}
    assert ids(client.get(URL, {"status": "closed"})) == [str(light.pk)]
    assert set(ids(client.get(URL, {"status": "open"}))) == {str(a.pk) for a in five[1:]}
    assert len(ids(client.get(URL, {"status": "open,closed"}))) == 5
    assert ids(client.get(URL, {"service_code": "light-street"})) == [str(light.pk)]
    assert len(ids(client.get(URL, {"service_code": "light-street,transport-schedule"}))) == 5
    assert ids(client.get(URL, {"service_code": "nothing-here"})) == []


def test_pages_and_the_1000_request_limit(personas, client, five, monkeypatch):
    pages = [ids(client.get(URL, {"page": p, "page_size": 2})) for p in (1, 2, 3, 4)]
    assert [len(p) for p in pages] == [2, 2, 1, 0]
    assert [i for p in pages for i in p] == [str(a.pk) for a in reversed(five)]
    monkeypatch.setattr("open311.inputs.MAX_REQUESTS", 3)  # the spec's 1,000 scaled down
    assert len(ids(client.get(URL))) == 3
    assert client.get(URL, {"page_size": 4}).status_code == 400


def test_lifecycle_maps_to_open_and_closed_with_notes(personas, client, key):
    roads = make_appeal(personas.citizen, "roads-signs", text="Стёрлась разметка на пешеходном переходе.")
    actions.accept_appeal(roads, actor=personas.executor_a)
    actions.extend_deadline(roads, actor=personas.agency_head, days=10, reason="Нужна погода для покраски.")
    roads.refresh_from_db()
    row = valid(client.get(f"/open311/v2/requests/{roads.pk}.json"), "service_requests")[0]
    assert row["status"] == "open" and "Принято в работу" in row["status_notes"] and "срок продлён" in row["status_notes"]
    assert row["expected_datetime"] == timezone.localtime(roads.deadline_at).isoformat(timespec="seconds")
    assert row["service_notice"].endswith("10 рабочих дн.") and roads.number in row["service_notice"]

    light = make_appeal(personas.citizen, "light-street", text="Фонарь не горит у подъезда 3.")
    process_photo(AppealPhoto.objects.get(appeal=light).pk)
    actions.accept_appeal(light, actor=personas.executor_b)
    actions.answer_appeal(light, actor=personas.executor_b, text="Лампа заменена.", result="measures_taken")
    row = valid(client.get(f"/open311/v2/requests/{light.pk}.json"), "service_requests")[0]
    assert row["status"] == "closed" and row["status_notes"] == "Поддержано, меры приняты. Лампа заменена."
    photo = AppealPhoto.objects.get(appeal=light)
    assert row["media_url"] == f"http://testserver{photo.copy_url}"  # the checking view (issues.photo_views)
    assert photo.original.url not in row["media_url"]

    first = make_appeal(personas.citizen, "transport-schedule", text="Автобус 7 не пришёл утром.")
    second = make_appeal(personas.other_citizen, "transport-schedule", text="Автобус 7 опять не пришёл утром.")
    actions.merge_appeal(second, actor=personas.moderator, into=first)
    row = valid(client.get(f"/open311/v2/requests/{second.pk}.json"), "service_requests")[0]
    assert row["status"] == "closed" and f"service_request_id {first.pk}" in row["status_notes"]


def test_rejected_request_is_seen_only_by_the_client_that_filed_it(personas, client, key):
    token = post(client, key).json()[0]["token"]
    appeal = Appeal.objects.get(open311__token=token)
    actions.reject_appeal(appeal, actor=personas.moderator, reason="spam")
    assert valid(client.get(f"/open311/v2/tokens/{token}.json"), "tokens")[0]["service_request_id"] == str(appeal.pk)
    assert client.get(f"/open311/v2/requests/{appeal.pk}.json").status_code == 404
    _other, other_key = issue_api_key(name="Другое приложение", owner=personas.admin)
    assert client.get(f"/open311/v2/requests/{appeal.pk}.json", HTTP_X_API_KEY=other_key).status_code == 404
    assert client.get(f"/open311/v2/requests/{appeal.pk}.json", {"api_key": key}).status_code == 404  # not in URLs
    row = valid(client.get(f"/open311/v2/requests/{appeal.pk}.json", HTTP_X_API_KEY=key), "service_requests")[0]
    assert row["status"] == "closed" and row["status_notes"].startswith("Отклонено: спам")
    assert row["description"] is None and row["address"] == "" and row["media_url"] == ""
    assert str(appeal.pk) in ids(client.get(URL, HTTP_X_API_KEY=key)) and str(appeal.pk) not in ids(client.get(URL))


def test_a_page_costs_the_same_queries_for_2_and_8_requests(personas, client):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL).status_code == 200
        return len(queries)

    for i in range(2):
        make_appeal(personas.citizen, "transport-schedule", text=f"Автобус {i} опоздал на полчаса.")
    few = count()
    for i in range(6):
        make_appeal(personas.other_citizen, "light-street", text=f"Не горит фонарь у дома {i}.")
    assert len(ids(client.get(URL))) == 8 and count() == few
