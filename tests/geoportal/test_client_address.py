"""The client address every limit keys on: REMOTE_ADDR, never a header the client writes,
unless the peer is a trusted proxy (GEOPORTAL_TRUSTED_PROXIES) — then the rightmost address
that proxy appended. A storm of forged X-Forwarded-For addresses hits one bucket."""
from __future__ import annotations

import time

import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.throttling import AnonRateThrottle

from geoportal.clientip import client_ip_from_meta

pytestmark = pytest.mark.django_db


def test_forged_x_forwarded_for_storm_is_throttled_by_the_real_address(monkeypatch, region):
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "20/min"})
    cache.delete("throttle_anon_203.0.113.7")
    client = Client(REMOTE_ADDR="203.0.113.7")
    codes = [client.get("/api/v1/categories/", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}, 10.9.9.{i}").status_code
             for i in range(30)]
    assert codes[:20] == [200] * 20
    assert set(codes[20:]) == {429}  # every forged address counted as the one peer it came from


def test_a_trusted_proxy_passes_on_each_client_and_only_its_own_hop(monkeypatch, settings, region):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    meta = {"REMOTE_ADDR": "10.1.2.3", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 198.51.100.20, 10.0.0.5"}
    assert client_ip_from_meta(meta) == "198.51.100.20"  # the client's forged left part is ignored
    assert client_ip_from_meta({**meta, "REMOTE_ADDR": "192.0.2.1"}) == "192.0.2.1"  # not a proxy: its header is not read
    assert client_ip_from_meta({"REMOTE_ADDR": "10.1.2.3", "HTTP_X_FORWARDED_FOR": "not-an-ip"}) == "10.1.2.3"

    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "3/min"})
    proxy = Client(REMOTE_ADDR="10.1.2.3")
    for i in range(5):  # five residents behind the proxy, two calls each: nobody over 3
        cache.delete(f"throttle_anon_192.0.2.{i}")
        for _ in range(2):
            assert proxy.get("/api/v1/categories/", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}").status_code == 200
    cache.delete("throttle_anon_192.0.2.9")
    codes = [proxy.get("/api/v1/categories/", HTTP_X_FORWARDED_FOR="192.0.2.9").status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]


def test_anonymous_pages_have_a_per_address_limit_too(settings, steady_rate_clock):
    settings.ANON_PAGE_RATE = "5/min"
    window = int(time.time() // 60)
    cache.delete_many([f"ratelimit:anon-pages:203.0.113.41:60:{w}" for w in (window, window + 1)])
    client = Client(REMOTE_ADDR="203.0.113.41")
    # a fixed one-minute window: within 11 requests at most one window boundary passes
    answers = [client.get("/accounts/login/", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}") for i in range(11)]
    refused = [r for r in answers if r.status_code == 429]
    assert refused and all(int(r["Retry-After"]) > 0 for r in refused)
    assert [r.status_code for r in answers[:5]].count(200) >= 1


def test_a_page_of_the_api_has_a_ceiling(personas):
    """``?limit=`` cannot ask for a whole table in one request (LimitOffsetPagination.max_limit)."""
    from inbox.models import Notification

    Notification.objects.bulk_create([Notification(user=personas.citizen, kind="status", title=f"n{i}")
                                      for i in range(520)])
    body = personas.client("citizen").get("/api/v1/notifications/", {"limit": 100000}).json()
    assert body["count"] == 520 and len(body["results"]) == 500 and body["next"]


def test_api_clients_signed_in_by_token_are_not_counted_as_anonymous_but_refused_tokens_are(
        settings, steady_rate_clock, personas):
    """Many citizens' phones share a carrier address: their token requests are not anonymous
    pages. Guessing tokens from one address still fills that address's bucket."""
    from rest_framework.authtoken.models import Token

    settings.ANON_PAGE_RATE = "3/min"
    window = int(steady_rate_clock // 60)
    cache.delete(f"ratelimit:anon-pages:203.0.113.42:60:{window}")
    token = Token.objects.get_or_create(user=personas.citizen)[0].key
    client = Client(REMOTE_ADDR="203.0.113.42")
    signed_in = [client.get("/api/v1/notifications/", HTTP_AUTHORIZATION=f"Token {token}") for _ in range(6)]
    assert [r.status_code for r in signed_in] == [200] * 6
    guesses = [client.get("/api/v1/notifications/", HTTP_AUTHORIZATION=f"Token {i:040d}") for i in range(5)]
    assert [r.status_code for r in guesses] == [403, 403, 403, 429, 429]  # DRF: 403 (session auth first)
    assert int(guesses[-1]["Retry-After"]) > 0
    assert client.get("/accounts/login/").status_code == 429  # the same bucket as anonymous pages
