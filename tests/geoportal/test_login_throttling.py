"""Password guessing is cut off (django-axes) at the three doors — the login page, the admin's
login and the API token endpoint; Django's four password validators; API tokens expire and can
be revoked."""
from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db


def _storm(url: str, username: str, address: str, api: bool = False) -> list[int]:
    client = Client(REMOTE_ADDR=address)
    codes = []
    for i in range(40):
        data = {"username": username, "password": f"wrong-{i}"}
        response = client.post(url, data, content_type="application/json") if api else client.post(url, data)
        codes.append(response.status_code)
    return codes


@pytest.mark.parametrize(("url", "api"), [("/accounts/login/", False), ("/admin/login/", False),
                                          ("/api/v1/auth/token/", True)])
def test_forty_wrong_passwords_end_in_429_even_for_the_right_one(personas, settings, url, api):
    limit = settings.AXES_FAILURE_LIMIT
    codes = _storm(url, "operator", "203.0.113.60", api)
    refused_status = 400 if api else 200  # the form shown again with its error
    assert codes[:limit - 1] == [refused_status] * (limit - 1)
    assert set(codes[limit:]) == {429}
    # locked out: the right password does not get in from this address either
    right = {"username": "operator", "password": "demo12345"}
    client = Client(REMOTE_ADDR="203.0.113.60")
    response = client.post(url, right, content_type="application/json") if api else client.post(url, right)
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    # and guessing the same username from elsewhere is cut off too (lockout per username)
    other = Client(REMOTE_ADDR="198.51.100.61")
    wrong = {"username": "operator", "password": "still-wrong"}
    again = other.post(url, wrong, content_type="application/json") if api else other.post(url, wrong)
    assert again.status_code == 429


def test_forged_forwarded_addresses_do_not_reset_the_count(personas, settings):
    client = Client(REMOTE_ADDR="203.0.113.62")
    codes = [client.post("/accounts/login/", {"username": f"nobody{i}", "password": "x"},
                         HTTP_X_FORWARDED_FOR=f"198.51.100.{i}").status_code for i in range(settings.AXES_FAILURE_LIMIT + 2)]
    assert codes[-1] == 429


def test_four_password_validators(personas):
    validate_password("kvadrat-vosem-31", user=personas.citizen)
    for weak in ("90817263545", "password123", "short1"):
        with pytest.raises(ValidationError):
            validate_password(weak, user=personas.citizen)
    personas.citizen.email = "ivanova.maria@example.org"
    with pytest.raises(ValidationError):  # too close to the user's own e-mail
        validate_password("ivanova.maria", user=personas.citizen)


def test_api_tokens_expire_and_can_be_revoked(personas, settings):
    client = Client(REMOTE_ADDR="203.0.113.63")
    issued = client.post("/api/v1/auth/token/", {"username": "operator", "password": "demo12345"},
                         content_type="application/json").json()
    auth = {"HTTP_AUTHORIZATION": f"Token {issued['token']}"}
    assert Client().get("/api/v1/appeals/?scope=work", **auth).status_code == 200
    Token.objects.filter(key=issued["token"]).update(
        created=Token.objects.get(key=issued["token"]).created - dt.timedelta(hours=settings.API_TOKEN_TTL_HOURS + 1))
    expired = Client().get("/api/v1/appeals/?scope=work", **auth)
    # DRF answers 403 when the first authentication class (the session) names no challenge
    assert expired.status_code in (401, 403) and "истёк" in expired.json()["detail"]
    fresh = client.post("/api/v1/auth/token/", {"username": "operator", "password": "demo12345"},
                        content_type="application/json").json()
    assert fresh["token"] != issued["token"]
    auth = {"HTTP_AUTHORIZATION": f"Token {fresh['token']}"}
    assert Client().get("/api/v1/appeals/?scope=work", **auth).status_code == 200
    assert Client().delete("/api/v1/auth/token/", **auth).status_code == 204
    assert Client().get("/api/v1/appeals/?scope=work", **auth).status_code in (401, 403)
