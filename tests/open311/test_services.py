"""Discovery, the service list and service definitions, in JSON (schema-validated) and XML."""
from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from issues.models import Category
from open311.models import CategoryAttribute

from .helpers import same_in_xml, valid, xml_doc

pytestmark = pytest.mark.django_db


def route_question(**overrides) -> CategoryAttribute:
    fields = {"category": Category.objects.get(code="transport-schedule"), "code": "route",
              "datatype": "singlevaluelist", "required": True, "description": "Номер маршрута", "order": 1,
              "values": [{"key": "22", "name": "Автобус 22"}, {"key": "45", "name": "Автобус 45"}]}
    fields.update(overrides)
    return CategoryAttribute.objects.create(**fields)


def test_discovery_names_this_endpoint_in_both_formats(client):
    data = valid(same_in_xml(client, "/open311/v2/discovery", "discovery"), "discovery")
    endpoint = data["endpoints"][0]
    assert endpoint["url"] == "http://testserver/open311/v2/"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}


def test_services_are_the_active_leaf_categories_grouped_by_parent(personas, client):
    Category.objects.filter(code="light-park").update(is_active=False)
    services = valid(same_in_xml(client, "/open311/v2/services", "services"), "services")
    codes = [s["service_code"] for s in services]
    expected = set(Category.objects.filter(is_active=True, children__isnull=True).values_list("code", flat=True))
    assert set(codes) == expected and len(codes) == len(expected)
    assert "light-park" not in codes and "lighting" not in codes  # inactive leaf, parent
    street = next(s for s in services if s["service_code"] == "light-street")
    assert street["group"] == "Освещение" and street["type"] == "realtime"
    assert "Street light out" in street["keywords"] and street["metadata"] is False
    route_question()
    services = client.get("/open311/v2/services.json").json()
    assert next(s for s in services if s["service_code"] == "transport-schedule")["metadata"] is True


def test_service_definition_lists_the_category_questions_in_order(personas, client):
    route_question(order=2)
    route_question(code="stop_name", datatype="string", required=False, description="Остановка", order=1, values=[])
    route_question(code="seen_at", datatype="datetime", required=False, description="Когда", order=3, values=[])
    data = valid(same_in_xml(client, "/open311/v2/services/transport-schedule", "service_definition"),
                 "service_definition")
    assert data["service_code"] == "transport-schedule"
    assert [a["code"] for a in data["attributes"]] == ["stop_name", "route", "seen_at"]
    route = data["attributes"][1]
    assert route["required"] is True and route["variable"] is True
    assert route["values"] == [{"key": "22", "name": "Автобус 22"}, {"key": "45", "name": "Автобус 45"}]
    element, _ = xml_doc(client.get("/open311/v2/services/transport-schedule.xml"), "service_definition")
    assert element.find("attributes/attribute/values/value/key") is not None
    empty = valid(client.get("/open311/v2/services/light-street.json"), "service_definition")
    assert empty == {"service_code": "light-street", "attributes": []}


@pytest.mark.parametrize("code", ["nope", "lighting"])  # unknown; a parent is a group, not a service
def test_unknown_service_definition_is_404_in_the_spec_format(personas, client, code):
    as_json = client.get(f"/open311/v2/services/{code}.json")
    assert as_json.status_code == 404 and valid(as_json, "errors")[0]["code"] == 404
    element, data = xml_doc(client.get(f"/open311/v2/services/{code}.xml"), "errors")
    assert data[0]["code"] == "404" and code in data[0]["description"]


def test_unknown_format_and_jurisdiction(personas, client, settings):
    assert client.get("/open311/v2/services.csv").status_code == 404
    assert client.get("/open311/v2/services.json", {"jurisdiction_id": ""}).status_code == 200
    assert client.get("/open311/v2/services.json",
                      {"jurisdiction_id": settings.OPEN311_JURISDICTION_ID}).status_code == 200
    other = client.get("/open311/v2/services.xml", {"jurisdiction_id": "elsewhere.example"})
    assert other.status_code == 404 and xml_doc(other, "errors")[1][0]["code"] == "404"


def test_a_list_question_needs_options_and_others_take_none(personas):
    category = Category.objects.get(code="transport-schedule")
    with pytest.raises(ValidationError):
        CategoryAttribute(category=category, code="a", datatype="singlevaluelist", description="x", values=[]).full_clean()
    with pytest.raises(ValidationError):
        CategoryAttribute(category=category, code="b", datatype="number", description="x",
                          values=[{"key": "1", "name": "один"}]).full_clean()
    with pytest.raises(ValidationError):
        CategoryAttribute(category=category, code="c", datatype="multivaluelist", description="x",
                          values=[{"key": "1"}]).full_clean()
    CategoryAttribute(category=category, code="d", datatype="multivaluelist", description="x",
                      values=[{"key": "1", "name": "один"}]).full_clean()
