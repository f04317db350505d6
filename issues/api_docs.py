"""OpenAPI documentation of the appeals API (``issues.api``): shapes that no single serializer
gives and the examples of the main calls."""
from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, PolymorphicProxySerializer

from .serializers import AppealFullSerializer, AppealPublicSerializer, EventSerializer, PublicEventSerializer

# The author and competent staff see an appeal (and its timeline) in full, everyone else its
# public view; the full view is a superset, so the document says anyOf (geoportal.openapi).
APPEAL_ANY = PolymorphicProxySerializer(component_name="AppealView", resource_type_field_name=None,
                                        serializers=[AppealFullSerializer, AppealPublicSerializer])
EVENTS_ANY = PolymorphicProxySerializer(component_name="AppealEventView", resource_type_field_name=None,
                                        serializers=[EventSerializer, PublicEventSerializer], many=True)

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", OpenApiTypes.STR, location=OpenApiParameter.HEADER, required=False,
    description="Up to 100 characters. A retry with the same key returns the first answer (with "
                "`Idempotent-Replayed: true`) instead of filing the appeal twice.")

CREATE_EXAMPLE = OpenApiExample(
    "A citizen reports a broken street light", request_only=True,
    value={"category": 12, "text": "Не горит фонарь у дома 5 по улице Ленина, вечером темно.",
           "lat": 55.751, "lon": 37.618, "address": "ул. Ленина, 5", "channel": "web"})

APPEAL_EXAMPLE = OpenApiExample(
    "An appeal as its author sees it", response_only=True, status_codes=["200", "201"],
    value={"id": 1042, "type": "Feature", "geometry": {"type": "Point", "coordinates": [37.618, 55.751]},
           "properties": {"number": "А-2026-001042", "status": "registered", "status_display": "Зарегистрировано",
                          "category": 12, "category_name": "Уличное освещение", "district": "Центральный",
                          "agency": "Горсвет", "address": "ул. Ленина, 5",
                          "text": "Не горит фонарь у дома 5 по улице Ленина, вечером темно.",
                          "kind": "individual", "appeal_type": "statement",
                          "received_at": "2026-03-02T10:15:00+03:00", "registered_at": "2026-03-02T10:15:00+03:00",
                          "deadline_at": "2026-04-01T18:00:00+03:00", "answered_at": None, "closed_at": None,
                          "extended": False, "result": "", "result_display": "", "answer_text": "",
                          "supporters_count": 0, "sla": "ok", "photos": [],
                          "author": {"name": "Мария Петрова", "email": "maria@example.org", "phone": ""},
                          "executor": None, "agency_id": 3, "channel": "web", "text_is_private": False,
                          "is_public": True}})

NEARBY_EXAMPLE = OpenApiExample(
    "Open appeals on the same problem nearby (GET ?lat=55.751&lon=37.618&category=12)",
    response_only=True,
    value={"type": "FeatureCollection",
           "features": [{"id": 1042, "type": "Feature",
                         "geometry": {"type": "Point", "coordinates": [37.618, 55.751]},
                         "properties": {"number": "А-2026-001042", "status": "routed", "category": 12,
                                        "category_name": "Уличное освещение", "text": None, "sla": "ok"}}]})
