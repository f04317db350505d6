"""API tokens that expire: ``Authorization: Token …`` stops working ``API_TOKEN_TTL_HOURS`` after
the token was issued (the token endpoint, geoportal.auth, hands out a fresh one)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed


def token_expires_at(token: Token) -> dt.datetime:
    return token.created + dt.timedelta(hours=settings.API_TOKEN_TTL_HOURS)


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's ``Authorization: Token …``, refused once the token is older than
    ``API_TOKEN_TTL_HOURS`` (a leaked token does not work forever)."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Token]:
        user, token = super().authenticate_credentials(key)
        if token_expires_at(token) <= timezone.now():
            raise AuthenticationFailed(gettext("Токен истёк; получите новый."))
        return user, token
