"""OPTIONS answers of the API (DRF's DEFAULT_METADATA_CLASS; imported while DRF's views
module loads, so it must not import ``rest_framework.views``)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.metadata import SimpleMetadata
from rest_framework.request import Request, clone_request

if TYPE_CHECKING:
    from rest_framework.views import APIView


class Metadata(SimpleMetadata):
    """OPTIONS: DRF's description of the writable fields, without its object-permission probe
    on routes that name no object (DRF calls ``get_object()`` for PUT, which asserts a ``pk``
    in the URL: an ``AssertionError`` on list-level actions such as notifications/preferences)."""

    def determine_actions(self, request: Request, view: APIView) -> dict[str, Any]:
        actions: dict[str, Any] = {}
        lookup = getattr(view, "lookup_url_kwarg", None) or getattr(view, "lookup_field", "pk")
        names_object = hasattr(view, "get_object") and lookup in getattr(view, "kwargs", {})
        for method in {"PUT", "POST"} & set(view.allowed_methods):
            view.request = clone_request(request, method)
            try:
                view.check_permissions(view.request)
                if method == "PUT" and names_object:
                    view.get_object()  # type: ignore[attr-defined]
            except (exceptions.APIException, DjangoPermissionDenied, Http404):
                pass
            else:
                actions[method] = self.get_serializer_info(view.get_serializer())  # type: ignore[attr-defined]
            finally:
                view.request = request
        return actions
