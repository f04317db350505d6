"""API plumbing shared by every app: errors as HTTP answers."""
from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import pagination, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .exceptions import Conflict


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Model/action ``ValidationError`` → 400 with field errors; a ``geoportal.exceptions.Conflict``
    (every app's illegal transition, a second ballot, a closed phase) → 409 with its message.
    Every body is an object (the ``Error`` schema of the OpenAPI document): the errors of a
    list input (DRF gives a bare list) go under ``non_field_errors``."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Conflict):
        return Response({"detail": str(exc)}, status=exc.http_status)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, list):
        response.data = {"non_field_errors": response.data}
    return response


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """The API's pagination: ``?limit=`` above ``max_limit`` is cut to it (no one-request dump)."""

    max_limit = 500
