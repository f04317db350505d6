"""API keys (issued in the admin, shown once, stored hashed, revocable), the key for /api/v1/,
rate limits per key and per IP answering 429 with Retry-After, and CORS for the public reads."""
from __future__ import annotations

import re

import pytest
from django.test import Client

from open311.actions import issue_api_key, revoke_api_key
from open311.models import ApiKey, hash_key

from .helpers import fresh_address, post, valid, xml_doc

pytestmark = pytest.mark.django_db


def test_admin_issues_a_key_shown_once_and_revokes_it(personas, client):
    admin = personas.client("admin")
    response = admin.post("/admin/open311/apikey/add/", {
        "name": "Мобильное приложение «Город»", "owner": personas.operator.pk, "rate_limit_per_minute": 30},
        follow=True)
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    raw = next(re.search(r": (\S+) — сохраните", m).group(1) for m in shown if "сохраните" in m)
    key = ApiKey.objects.get(name="Мобильное приложение «Город»")
    assert key.key_hash == hash_key(raw) and key.prefix == raw[:8] and key.rate_limit_per_minute == 30
    stored = " ".join(str(v) for v in ApiKey.objects.filter(pk=key.pk).values().first().values())
    assert raw not in stored
    change_page = admin.get(f"/admin/open311/apikey/{key.pk}/change/").content.decode()
    assert raw not in change_page and key.prefix in change_page
    assert post(client, raw).status_code == 200 and ApiKey.objects.get(pk=key.pk).last_used_at is not None

    admin.post("/admin/open311/apikey/", {"action": "revoke", "_selected_action": [key.pk]}, follow=True)
    key.refresh_from_db()
    assert key.revoked_at is not None and key.revoked_by == personas.admin
    refused = post(client, raw)
    assert refused.status_code == 403 and "api_key" in valid(refused, "errors")[0]["description"]


def test_keys_are_admin_business(personas):
    for persona in ("operator", "citizen", "anonymous"):
        response = personas.client(persona).get("/admin/open311/apikey/add/")
        assert response.status_code in (302, 403), persona


def test_revoked_key_or_inactive_owner_is_refused_in_both_formats(personas, client):
    record, raw = issue_api_key(name="Старое", owner=personas.operator)
    revoke_api_key(record, actor=personas.admin)
    assert post(client, raw).status_code == 403
    assert xml_doc(post(client, raw, fmt="xml"), "errors")[1][0]["code"] == "403"
    _other, active = issue_api_key(name="Чужое", owner=personas.other_citizen)
    personas.other_citizen.is_active = False
    personas.other_citizen.save(update_fields=["is_active"])
    assert post(client, active).status_code == 403


def test_an_open311_key_is_valid_for_open311_only(personas, key):
    """A key filed for a kiosk or a city app must not open the staff API as its owner (an
    operator here): on /api/v1 it is no credential at all, in a header or in the URL."""
    api = Client()
    for headers, query in (({"HTTP_X_API_KEY": key}, ""), ({}, f"&api_key={key}")):
        response = api.get(f"/api/v1/appeals/?scope=work{query}", **headers)
        assert response.status_code in (401, 403)
        assert api.post(f"/api/v1/appeals/1/register/?x=1{query}", **headers).status_code in (401, 403, 404)
    assert api.get("/open311/v2/services.json", HTTP_X_API_KEY=key).status_code == 200


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_anonymous_open311_reads_are_limited_per_ip(personas, settings, steady_rate_clock, fmt):
    settings.OPEN311_ANON_RATE_PER_MINUTE = 3
    reader = Client(REMOTE_ADDR=fresh_address())
    statuses = [reader.get(f"/open311/v2/services.{fmt}").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    limited = reader.get(f"/open311/v2/requests.{fmt}")
    assert limited.status_code == 429 and 1 <= int(limited["Retry-After"]) <= 61
    body = valid(limited, "errors") if fmt == "json" else xml_doc(limited, "errors")[1]
    assert str(body[0]["code"]) == "429"
    assert Client(REMOTE_ADDR=fresh_address()).get(f"/open311/v2/services.{fmt}").status_code == 200  # another IP


def test_a_key_has_its_own_limit_for_posts_and_reads(personas, settings, steady_rate_clock):
    settings.OPEN311_ANON_RATE_PER_MINUTE = 10_000
    _record, raw = issue_api_key(name="Медленное", owner=personas.operator, rate_limit_per_minute=2)
    app = Client(REMOTE_ADDR=fresh_address())
    assert [post(app, raw).status_code for _ in range(3)] == [200, 200, 429]
    assert int(post(app, raw)["Retry-After"]) >= 1
    assert app.get("/open311/v2/services.json", HTTP_X_API_KEY=raw).status_code == 429
    assert app.get("/open311/v2/services.json").status_code == 200  # the same IP without the key
    # in the query string the key is not read at all: the request counts as the address's
    assert app.get("/open311/v2/services.json", {"api_key": raw}).status_code == 200


def test_anonymous_v1_reads_are_limited_per_ip(personas, monkeypatch):
    from rest_framework.throttling import AnonRateThrottle

    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "2/min"})
    reader = Client(REMOTE_ADDR=fresh_address())
    assert [reader.get("/api/v1/categories/").status_code for _ in range(3)] == [200, 200, 429]
    assert int(reader.get("/api/v1/categories/")["Retry-After"]) >= 1


def test_cors_only_for_public_reads(personas, client, key):
    origin = {"HTTP_ORIGIN": "https://app.example.org"}
    for path in ("/open311/v2/services.json", "/open311/v2/requests.xml", "/api/v1/categories/"):
        response = client.get(path, **origin)
        assert response["Access-Control-Allow-Origin"] == "*", path
        assert "Access-Control-Allow-Credentials" not in response
    preflight = client.options("/open311/v2/requests.json", HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
                               HTTP_ACCESS_CONTROL_REQUEST_HEADERS="x-api-key", **origin)
    assert preflight["Access-Control-Allow-Origin"] == "*"
    assert set(preflight["Access-Control-Allow-Methods"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert "x-api-key" in preflight["Access-Control-Allow-Headers"]
    for path in ("/open311/v2/requests.json", "/api/v1/appeals/"):
        refused = client.options(path, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST", **origin)
        assert "Access-Control-Allow-Origin" not in refused, path
    written = post(client, key, **origin)
    assert written.status_code == 200 and "Access-Control-Allow-Origin" not in written
    assert "Access-Control-Allow-Origin" not in client.get("/", **origin)  # not the site's pages


def test_the_api_key_command_issues_lists_and_revokes(personas, client):
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command("api_key", "issue", "--owner", "operator", "--name", "Киоск", "--rate", "5", stdout=out)
    raw = out.getvalue().strip()
    assert post(client, raw).status_code == 200
    listing = StringIO()
    call_command("api_key", "list", stdout=listing)
    assert raw[:8] in listing.getvalue() and "active" in listing.getvalue() and raw not in listing.getvalue()
    call_command("api_key", "revoke", "--prefix", raw[:8], stdout=StringIO())
    assert post(client, raw).status_code == 403
    for bad in (["issue", "--owner", "nobody", "--name", "x"], ["issue", "--owner", "operator"],
                ["revoke", "--prefix", raw[:8]], ["issue", "--owner", "operator", "--name", "x", "--rate", "0"]):
        with pytest.raises(CommandError):
            call_command("api_key", *bad, stdout=StringIO())


def test_a_key_never_starts_with_a_dash_so_its_prefix_works_on_the_command_line(personas, monkeypatch):
    from open311.models import ApiKey

    drawn = iter(["-" + "a" * 42, "b" * 43])
    monkeypatch.setattr("open311.models.secrets.token_urlsafe", lambda n: next(drawn))
    key, raw = ApiKey.issue(name="Киоск", owner=personas.operator)
    assert raw == "b" * 43 and key.prefix == "bbbbbbbb"
