"""Signing in: API tokens that expire, the token endpoint, and the answer to a locked-out
client (django-axes counts failed logins; see settings ``AXES_*``).

Who may call: ``POST /api/v1/auth/token/`` anyone with a username and password (failures count
towards the lockout); ``DELETE /api/v1/auth/token/`` the token's owner, to revoke it."""
from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext
from rest_framework import permissions, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .authentication import ExpiringTokenAuthentication, token_expires_at


class ObtainTokenView(APIView):
    """Anyone: username and password → a token (a fresh one when the old one expired);
    the token's owner: DELETE revokes it."""

    permission_classes = [permissions.AllowAny]
    authentication_classes = [ExpiringTokenAuthentication]
    serializer_class = AuthTokenSerializer

    def post(self, request: Request) -> Response:
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        if not serializer.is_valid():
            # django-axes flags the request it was handed (this DRF request) once the client or
            # the username is locked out; the password was not even checked then
            if getattr(request, "axes_locked_out", False):
                return lockout_response(request._request)  # type: ignore[return-value]
            raise ValidationError(serializer.errors)
        user = serializer.validated_data["user"]
        with transaction.atomic():
            token, _created = Token.objects.select_for_update().get_or_create(user=user)
            if token_expires_at(token) <= timezone.now():
                token.delete()
                token = Token.objects.create(user=user)
        return Response({"token": token.key, "expires_at": token_expires_at(token).isoformat()})

    def delete(self, request: Request) -> Response:
        if not isinstance(request.auth, Token):
            return Response({"detail": gettext("Нужен заголовок Authorization: Token …")},
                            status=status.HTTP_401_UNAUTHORIZED)
        request.auth.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


def lockout_response(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """django-axes' answer once a client or username is locked out: 429 with Retry-After."""
    minutes = int(round(float(settings.AXES_COOLOFF_TIME) * 60))
    message = gettext("Слишком много неудачных попыток входа. Повторите через {minutes} мин.").format(minutes=minutes)
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(minutes * 60)
    return response
