"""Middleware of the project."""
from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus

from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework import exceptions

API_PREFIX = "/api/"


def api_json_errors(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """Under ``/api/`` an error is JSON ``{"detail": ...}`` even when no API view answered:
    a path that matched no route (a malformed id: ``geoportal.converters``), a plain Django
    view's ``Http404``, Django's own 500 page. Integrators parse one error shape; Django's HTML
    pages (the technical ones with DEBUG=1 too) would break that."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if (request.path.startswith(API_PREFIX) and response.status_code >= 400
                and response.get("Content-Type", "").startswith("text/html")):
            # DRF's own messages, so they come translated like every other API error
            messages = {404: exceptions.NotFound.default_detail, 403: exceptions.PermissionDenied.default_detail,
                        400: exceptions.ParseError.default_detail}
            detail = messages.get(response.status_code) or (
                exceptions.APIException.default_detail if response.status_code >= 500
                else HTTPStatus(response.status_code).phrase)
            json_response = JsonResponse({"detail": str(detail)}, status=response.status_code,
                                         json_dumps_params={"ensure_ascii": False})
            for header in ("Allow", "Retry-After", "Vary"):
                if header in response:
                    json_response[header] = response[header]
            return json_response
        return response

    return middleware
