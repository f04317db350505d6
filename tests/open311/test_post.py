"""POST requests: an appeal filed through the appeals app's action on behalf of a requester
without an account, the token until an operator registers it, and every refusal in the spec's
error format with nothing written."""
from __future__ import annotations

import pytest
from django.test import Client

from issues import actions
from issues.models import Appeal, AppealEvent, Category, Channel, Status
from open311.models import CategoryAttribute, Open311Request

from ..issues.helpers import jpeg_bytes, make_appeal, point_in, upload
from .helpers import EMAIL, FIRST, LAST, PHONE, post, valid, xml_doc

pytestmark = pytest.mark.django_db


def test_post_files_an_appeal_and_the_token_resolves_once_registered(personas, client, key):
    response = post(client, key, device_id="phone-42", account_id="acc-7")
    assert response.status_code == 200
    body = valid(response, "post_response")[0]
    appeal = Appeal.objects.get(open311__token=body["token"])
    assert "service_request_id" not in body and body["account_id"] == "acc-7" and appeal.number in body["service_notice"]
    assert appeal.channel == Channel.OPEN311 and appeal.status == Status.SUBMITTED and appeal.author is None
    assert appeal.author_name == f"{LAST} {FIRST}" and appeal.author_contact == f"{EMAIL}, {PHONE}"
    assert appeal.category.code == "transport-schedule" and appeal.district.code == "centralny"
    assert AppealEvent.objects.get(appeal=appeal, kind="submit").actor == personas.operator  # the key's owner
    record = appeal.open311
    assert (record.device_id, record.account_id, record.location_from) == ("phone-42", "acc-7", "lat_long")

    pending = valid(client.get(f"/open311/v2/tokens/{body['token']}.json"), "tokens")
    assert pending == [{"service_request_id": None, "token": body["token"]}]
    assert client.get(f"/open311/v2/requests/{appeal.pk}.json").status_code == 404  # not public before registration

    actions.register_appeal(appeal, actor=personas.operator)
    resolved = valid(client.get(f"/open311/v2/tokens/{body['token']}.json"), "tokens")
    assert resolved == [{"service_request_id": str(appeal.pk), "token": body["token"]}]
    _element, as_xml = xml_doc(client.get(f"/open311/v2/tokens/{body['token']}.xml"), "service_requests")
    assert as_xml == [{"service_request_id": str(appeal.pk), "token": body["token"]}]
    row = valid(client.get(f"/open311/v2/requests/{appeal.pk}.json"), "service_requests")[0]
    assert row["status"] == "open" and row["agency_responsible"] and row["expected_datetime"]


def test_unknown_or_malformed_tokens_are_404(personas, client):
    for token in ("00000000-0000-0000-0000-000000000000", "not-a-uuid"):
        response = client.get(f"/open311/v2/tokens/{token}.json")
        assert response.status_code == 404 and valid(response, "errors")[0]["code"] == 404
        assert xml_doc(client.get(f"/open311/v2/tokens/{token}.xml"), "errors")[1][0]["code"] == "404"


def test_post_in_xml_with_the_key_in_a_header_never_in_the_query_string(personas, client, key):
    response = post(client, None, fmt="xml")
    assert response.status_code == 403
    fields = {"service_code": "transport-schedule", "lat": point_in().y, "long": point_in().x,
              "description": "Автобус 45 пропускает остановку у рынка."}
    in_url = client.post(f"/open311/v2/requests.xml?api_key={key}", fields)  # logs, Referer: refused
    assert in_url.status_code == 403 and "X-Api-Key" in xml_doc(in_url, "errors")[1][0]["description"]
    as_xml = client.post("/open311/v2/requests.xml", fields, HTTP_X_API_KEY=key)
    element, data = xml_doc(as_xml, "service_requests")
    assert as_xml.status_code == 200 and element.find("request/token").text == data[0]["token"]
    assert Open311Request.objects.filter(token=data[0]["token"]).exists()


@pytest.mark.parametrize(("fields", "status", "words"), [
    ({"api_key": None}, 403, "Нужен api_key"),
    ({"api_key": "not-a-key"}, 403, "api_key"),
    ({"service_code": "unknown"}, 400, "service_code"),
    ({"service_code": "transport"}, 400, "service_code"),  # a group, not a service
    ({"lat": "95"}, 400, "диапазона"),
    ({"long": "-190"}, 400, "диапазона"),
    ({"lat": "abc"}, 400, "числа"),
    ({"lat": "nan"}, 400, "числа"),
    ({"long": None}, 400, "вместе"),
    ({"lat": "55.75", "long": "37.61"}, 400, "территории"),
    ({"lat": None, "long": None}, 400, "Нужно место"),
    ({"lat": None, "long": None, "address_string": "ул. Нигдейская, 404"}, 400, "address_string"),
    ({"lat": None, "long": None, "address_id": "A-17"}, 400, "address_id"),
    ({"description": "коротко"}, 400, "description"),
    ({"email": "not an email"}, 400, "email"),
    ({"media_url": "ftp://example.org/x.jpg"}, 400, "media_url"),
    ({"first_name": "я" * 101}, 400, "first_name"),
    ({"jurisdiction_id": "elsewhere.example"}, 404, "jurisdiction_id"),
])
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_bad_posts_get_spec_errors_and_write_nothing(personas, client, key, fields, status, words, fmt):
    response = post(client, key, fmt=fmt, **fields)
    assert response.status_code == status
    if fmt == "json":
        body = valid(response, "errors")
        assert {e["code"] for e in body} == {status} and any(words in e["description"] for e in body), body
    else:
        _element, body = xml_doc(response, "errors")
        assert {e["code"] for e in body} == {str(status)} and any(words in e["description"] for e in body), body
    assert Appeal.objects.count() == 0 and Open311Request.objects.count() == 0


def test_every_problem_is_reported_at_once(personas, client, key):
    response = post(client, key, lat="abc", email="bad", media_url="nope")
    descriptions = [e["description"] for e in valid(response, "errors")]
    assert len(descriptions) == 3 and response.status_code == 400


def test_anonymous_requester_where_the_category_refuses_anonymity(personas, client, key):
    Category.objects.filter(code="transport-schedule").update(anonymous_allowed=False)
    response = post(client, key, first_name=None, last_name=None, email=None, phone=None)
    assert response.status_code == 400 and "service_code" in valid(response, "errors")[0]["description"]
    assert post(client, key).status_code == 200  # with a name and a return address


def test_place_from_a_known_address_or_from_the_photo_gps(personas, client, key, media_root):
    known = make_appeal(personas.citizen, "transport-schedule", district="nagorny", address="ул. Белинского, 32",
                        text="Автобус 3 не ходит после девяти вечера.")
    by_address = post(client, key, lat=None, long=None, address_string="  ул.  белинского, 32 ")
    assert by_address.status_code == 200
    appeal = Appeal.objects.get(open311__token=by_address.json()[0]["token"])
    assert appeal.location.equals_exact(known.location, 1e-9) and appeal.open311.location_from == "address_book"
    assert appeal.address == "ул.  белинского, 32".strip()

    gps_point = point_in("nagorny")
    by_photo = post(client, key, lat=None, long=None, address_string="Остановка у парка",
                    media=upload(jpeg_bytes(gps=(gps_point.y, gps_point.x)), "stop.jpg"))
    assert by_photo.status_code == 200, by_photo.content
    appeal = Appeal.objects.get(open311__token=by_photo.json()[0]["token"])
    assert appeal.open311.location_from == "photo_gps" and appeal.district.code == "nagorny"
    assert abs(appeal.location.y - gps_point.y) < 1e-4 and abs(appeal.location.x - gps_point.x) < 1e-4


def test_attribute_answers_are_validated_and_stored(personas, client, key):
    category = Category.objects.get(code="transport-schedule")
    CategoryAttribute.objects.create(category=category, code="route", datatype="singlevaluelist", required=True,
                                     description="Маршрут", values=[{"key": "22", "name": "Автобус 22"}])
    CategoryAttribute.objects.create(category=category, code="days", datatype="multivaluelist", order=2,
                                     description="Дни", values=[{"key": "sat", "name": "Сб"},
                                                                {"key": "sun", "name": "Вс"}])
    CategoryAttribute.objects.create(category=category, code="wait", datatype="number", order=3,
                                     description="Минут ожидания")
    CategoryAttribute.objects.create(category=category, code="seen", datatype="datetime", order=4,
                                     description="Когда")
    refusals = {
        "missing required": {},
        "not an option": {"attribute[route]": "99"},
        "not a number": {"attribute[route]": "22", "attribute[wait]": "долго"},
        "not a datetime": {"attribute[route]": "22", "attribute[seen]": "вчера"},
        "impossible datetime": {"attribute[route]": "22", "attribute[seen]": "2026-02-30T10:00:00"},
        "unknown question": {"attribute[route]": "22", "attribute[colour]": "red"},
        "two for one": {"attribute[route]": ["22", "22"]},
        "bad multi option": {"attribute[route]": "22", "attribute[days][]": ["sat", "mon"]},
    }
    for label, fields in refusals.items():
        response = post(client, key, **fields)
        assert response.status_code == 400, label
        assert "attribute[" in valid(response, "errors")[0]["description"], label
    assert Appeal.objects.count() == 0  # nothing half-written by any refusal
    ok = post(client, key, **{"attribute[route]": "22", "attribute[days][]": ["sat", "sun"], "attribute[wait]": "40",
                              "attribute[seen]": "2026-11-28T08:15:00+03:00"})
    assert ok.status_code == 200
    record = Open311Request.objects.get(token=ok.json()[0]["token"])
    assert record.attributes == {"route": "22", "days": ["sat", "sun"], "wait": 40.0,
                                 "seen": "2026-11-28T08:15:00+03:00"}


def test_media_upload_is_checked_and_media_url_stored_not_fetched(personas, client, key, media_root):
    ok = post(client, key, media=upload(jpeg_bytes(), "m.jpg"), media_url="https://cdn.example.org/p/1.jpg")
    assert ok.status_code == 200
    appeal = Appeal.objects.get(open311__token=ok.json()[0]["token"])
    assert appeal.photos.count() == 1 and appeal.open311.media_url == "https://cdn.example.org/p/1.jpg"
    bad = post(client, key, media=upload(b"not an image at all", "m.jpg"))
    assert bad.status_code == 400 and "media" in valid(bad, "errors")[0]["description"]
    assert Appeal.objects.count() == 1


def test_only_post_and_get_on_requests(personas, client, key):
    response = Client().put("/open311/v2/requests.json")
    assert response.status_code == 405 and valid(response, "errors")[0]["code"] == 405
    assert client.post("/open311/v2/services.json", {"api_key": key}).status_code == 405
