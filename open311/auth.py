"""API keys for the /api/v1/ API: ``X-Api-Key`` header (or ``api_key`` parameter)
authenticates as the key's owner; each key has its own rate limit."""
from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from .models import ApiKey
from .ratelimit import hit


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, ApiKey] | None:
        raw = request.headers.get("X-Api-Key") or request.query_params.get("api_key")
        if not raw:
            return None
        key = ApiKey.objects.find(raw)
        if key is None or not key.owner.is_active:
            raise AuthenticationFailed(gettext("Неверный или отозванный API-ключ."))
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
        return key.owner, key

    def authenticate_header(self, request: Request) -> str:
        return "X-Api-Key"


class ApiKeyThrottle(BaseThrottle):
    """The per-key limit; anonymous reads are limited by DRF's AnonRateThrottle."""

    def allow_request(self, request: Request, view: Any) -> bool:
        key = request.auth if isinstance(request.auth, ApiKey) else None
        if key is None:
            return True
        wait = hit(f"key:{key.pk}", key.rate_limit_per_minute)
        if wait is not None:
            raise Throttled(wait=wait)
        return True
