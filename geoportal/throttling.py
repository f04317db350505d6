"""Per-client limits for anonymous callers.

DRF's ``AnonRateThrottle`` keys on ``X-Forwarded-For`` when it is present: a client that
invents a new address per request is never throttled. Here every limit keys on
``geoportal.clientip.client_ip`` (``REMOTE_ADDR`` unless the peer is a trusted proxy).
Every other anonymous request — pages, media, the checked photo files, plain Django views under
/api/ — counts against ``ANON_PAGE_RATE`` per address through :class:`AnonymousRateLimitMiddleware`
(Open311 and tiles have limits of their own)."""
from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext
from rest_framework.request import Request
from rest_framework.throttling import AnonRateThrottle as DrfAnonRateThrottle

from .clientip import client_ip
from .ratelimit import hit_rate, over_rate


class AnonRateThrottle(DrfAnonRateThrottle):
    """DRF's anonymous limit (``API_ANON_RATE``), keyed on the real client address."""

    def get_ident(self, request: Request) -> str:
        return client_ip(request)


# These prefixes are limited elsewhere (Open311's own limit, tile renders) or cost nothing
# (static files are answered by WhiteNoise before this middleware, the health probe).
_OWN_LIMITS = ("/open311/", "/tiles/", "/static/", "/healthz")


class AnonymousRateLimitMiddleware:
    """Anyone not signed in: at most ``ANON_PAGE_RATE`` requests per client address (429 with
    ``Retry-After`` beyond); the DRF API's own ``API_ANON_RATE`` applies on top."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(_OWN_LIMITS) or request.user.is_authenticated:
            return self.get_response(request)
        bucket = f"anon-pages:{client_ip(request)}"
        if not request.headers.get("Authorization", "").startswith("Token "):
            wait = hit_rate(bucket, settings.ANON_PAGE_RATE)
            return self.get_response(request) if wait is None else self._refuse(wait)
        # An API client signed in with its token (the API authenticates it after this point and
        # sets request.user) is not anonymous: many citizens' phones share one carrier address.
        # A request that did not end signed in (a refused token, a view that reads no token)
        # counts afterwards, so guessing tokens from one address still meets the limit.
        wait = over_rate(bucket, settings.ANON_PAGE_RATE)
        if wait is not None:
            return self._refuse(wait)
        response = self.get_response(request)
        if not request.user.is_authenticated:
            hit_rate(bucket, settings.ANON_PAGE_RATE)
        return response

    @staticmethod
    def _refuse(wait: int) -> HttpResponse:
        response = JsonResponse({"detail": gettext("Слишком много запросов; повторите позже.")}, status=429)
        response["Retry-After"] = str(wait)
        return response
