"""The published OpenAPI document as integrators use it: valid for an independent validator
(openapi-spec-validator), every operation tagged and stating its errors in one shared shape,
malformed ids refused with a JSON 404 on every route, OPTIONS answered everywhere, and a typed
client generated from the document (openapi-python-client, at test time, offline) that files an
appeal and reads it back. schemathesis's fuzzing lives in test_api_fuzz."""
from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from openapi_spec_validator import validate

from tests.issues.helpers import point_in

METHODS = ("get", "post", "put", "patch", "delete")
MALFORMED_IDS = ["null,null", "-1", "1e9", "abc", "0x10", "9" * 19, "1.5", "%20"]


@pytest.fixture
def published(db: None) -> dict[str, Any]:
    response = Client().get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_published_schema_passes_openapi_spec_validator(published: dict[str, Any]) -> None:
    validate(published)  # raises OpenAPIValidationError with the offending part
    assert published["openapi"].startswith("3.")


def test_every_operation_is_tagged_and_documents_its_errors_in_one_shape(published: dict[str, Any]) -> None:
    error = {"$ref": "#/components/schemas/Error"}
    assert published["components"]["schemas"]["Error"]["properties"]["detail"]["type"] == "string"
    tag_names = {t["name"] for t in published["tags"]}
    count = 0
    for path, method, operation in operations(published):
        count += 1
        where = f"{method.upper()} {path}"
        assert operation.get("tags") and set(operation["tags"]) <= tag_names, where
        responses = operation["responses"]
        expected = {"403", "429"}
        if any(p["in"] == "path" for p in operation.get("parameters", [])):
            expected |= {"400", "404"}
        if method != "get":
            expected |= {"400", "401", "409"}
        assert expected <= set(responses), (where, sorted(responses))
        for code in expected:
            assert responses[code]["content"]["application/json"]["schema"] == error, (where, code)
        success = [c for c in responses if c.startswith("2")]
        assert success, where
        for code in success:
            if code != "204":
                assert responses[code].get("content"), (where, code)  # a described body, not a bare status
    assert count >= 60


def test_servers_security_schemes_and_examples_are_stated(published: dict[str, Any]) -> None:
    assert published["servers"] and published["servers"][0]["url"]
    schemes = published["components"]["securitySchemes"]
    assert schemes["tokenAuth"]["name"] == "Authorization"
    # Open311 keys authenticate on Open311 only (issue 16), so /api/v1 declares no API-key scheme.
    assert "apiKeyAuth" not in schemes
    create = published["paths"]["/api/v1/appeals/"]["post"]
    assert create["requestBody"]["content"]["application/json"]["examples"]
    assert create["responses"]["201"]["links"]["appeals_retrieve"]["parameters"] == {"id": "$response.body#/id"}
    assert published["paths"]["/api/v1/appeals/{id}/"]["get"]["responses"]["200"]["content"]["application/json"][
        "examples"]
    assert published["paths"]["/api/v1/stats/appeals"]["get"]["responses"]["200"]["content"]["application/json"][
        "examples"]


@pytest.mark.parametrize("who", ["anonymous", "citizen", "operator"])
def test_malformed_ids_are_a_json_404_on_every_route(published: dict[str, Any], personas: Any, who: str) -> None:
    client = personas.client(who)
    tried = 0
    for path, method, _operation in operations(published):
        if "{" not in path or "{fmt}" in path:
            continue
        for bad in MALFORMED_IDS:
            url = path.replace("{id}", bad).replace("{heading_id}", bad).replace("{slug}", "x")
            if url == path.replace("{slug}", "x"):
                continue
            response = getattr(client, method)(url, content_type="application/json")
            tried += 1
            assert response.status_code == 404, (method, url, response.status_code)
            assert response["Content-Type"].startswith("application/json"), (method, url)
            assert response.json()["detail"], (method, url)
    assert tried > 200


@pytest.mark.parametrize("who", ["anonymous", "citizen", "operator", "leader"])
def test_options_is_answered_on_every_route(published: dict[str, Any], personas: Any, who: str) -> None:
    client = personas.client(who)
    for path in published["paths"]:
        url = path.replace("{id}", "1").replace("{heading_id}", "1").replace("{slug}", "x").replace("{fmt}", "csv")
        response = client.options(url)
        assert response.status_code < 500, (url, response.status_code)
    preferences = client.options("/api/v1/notifications/preferences/")
    assert preferences.status_code == (403 if who == "anonymous" else 200)
    if who != "anonymous":
        assert set(preferences.json()["actions"]["PUT"]) == {"kind", "email", "in_app"}


@pytest.fixture
def generated_client(published: dict[str, Any], tmp_path: Path) -> Iterator[Any]:
    """The typed client openapi-python-client writes from the published document (no network:
    it only reads the file). Its package is imported from the temporary folder."""
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(published), encoding="utf-8")
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"post_hooks": [], "package_name_override": "geoportal_client"}), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "openapi_python_client", "generate", "--path", str(spec), "--meta", "none",
         "--config", str(config), "--output-path", str(tmp_path / "geoportal_client")],
        capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module("geoportal_client")
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == "geoportal_client" or m.startswith("geoportal_client.")]:
            del sys.modules[name]


@pytest.fixture
def wsgi_transport(db: None) -> Iterator[Any]:
    """httpx talking to the Django app in-process, on the test's database connection."""
    import httpx
    from django.core.signals import request_finished, request_started
    from django.core.wsgi import get_wsgi_application
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield httpx.WSGITransport(app=get_wsgi_application())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_a_generated_typed_client_files_an_appeal_and_reads_it_back(
        generated_client: Any, wsgi_transport: Any, personas: Any) -> None:
    from rest_framework.authtoken.models import Token

    from issues.models import Appeal, Category

    api = importlib.import_module("geoportal_client.api.appeals")
    create = importlib.import_module("geoportal_client.api.appeals.appeals_create")
    retrieve = importlib.import_module("geoportal_client.api.appeals.appeals_retrieve")
    models = importlib.import_module("geoportal_client.models")
    assert api is not None
    token = Token.objects.create(user=personas.citizen).key
    citizen = generated_client.AuthenticatedClient(base_url="http://localhost", token=token, prefix="Token",
                                                   httpx_args={"transport": wsgi_transport},
                                                   raise_on_unexpected_status=True)
    category = Category.objects.filter(is_active=True, photo_required=False, children__isnull=True).order_by("pk")[0]
    place = point_in("centralny")
    text = "Во дворе дома 12 не вывозят мусор уже неделю, контейнеры переполнены."
    answer = create.sync_detailed(client=citizen, body=models.AppealCreateRequest(
        category=category.pk, text=text, lat=place.y, lon=place.x, address="ул. Садовая, 12"))
    assert answer.status_code == 201, answer.content
    filed = answer.parsed
    assert isinstance(filed, models.AppealFull)
    assert filed.properties.text == text and filed.properties.category == category.pk
    assert Appeal.objects.get(pk=filed.id).author == personas.citizen

    read = retrieve.sync_detailed(id=filed.id, client=citizen)
    assert read.status_code == 200
    assert isinstance(read.parsed, models.AppealFull)  # the author sees it in full
    assert read.parsed.id == filed.id and read.parsed.properties.number == filed.properties.number
    assert read.parsed.properties.author.additional_properties["name"]

    refused = create.sync_detailed(client=citizen, body=models.AppealCreateRequest(category=category.pk, text=""))
    assert refused.status_code == 400
    assert isinstance(refused.parsed, models.Error) and refused.parsed.additional_properties  # field errors


@pytest.mark.parametrize("debug", [False, True])
def test_an_unknown_api_path_is_a_json_404_even_with_debug_pages(db: None, settings: Any, debug: bool) -> None:
    """Django's own 404 page (the technical one when DEBUG=1, as in ``make demo``) is HTML;
    under /api/ integrators get the shared error shape instead. Pages elsewhere keep HTML."""
    settings.DEBUG = debug
    response = Client().get("/api/v1/appeals/null,null/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]
    page = Client().get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(("url", "status"), [
    # Python takes a -22:42 offset, PostgreSQL refused it (a 500 schemathesis found): now UTC
    ("/api/v1/appeals/?received_after=4196-12-28T18:29:51-22:42", 200),
    ("/api/v1/appeals/?received_before=9999-12-31T23:00:00-22:00", 400),
    ("/api/v1/stats/hotspots?until=0001-01-01", 400),
    ("/api/v1/stats/appeals?received_after=2026-02-30", 400),
    ("/api/v1/stats/heatmap?until=2026-03-01T10:00:00-23:59", 200),
])
def test_instants_postgresql_cannot_store_are_a_400_or_taken_to_utc(db: None, url: str, status: int) -> None:
    response = Client().get(url)
    assert response.status_code == status, response.content
