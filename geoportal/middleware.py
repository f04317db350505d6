"""Middleware of the project."""
from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext

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
            if response.status_code == 404:
                detail = gettext("Не найдено.")
            elif response.status_code >= 500:
                detail = gettext("Внутренняя ошибка сервера.")
            else:
                detail = gettext("Запрос отклонён.")
            json_response = JsonResponse({"detail": detail}, status=response.status_code,
                                         json_dumps_params={"ensure_ascii": False})
            for header in ("Allow", "Retry-After", "Vary"):
                if header in response:
                    json_response[header] = response[header]
            return json_response
        return response

    return middleware
