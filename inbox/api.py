"""The inbox's API, ``/api/v1/notifications/``: the signed-in user's own notices and what they
receive. Anyone else's notice is a 404; anonymous callers get 401."""
from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from . import actions
from .models import Notification, NotificationPreference
from .serializers import NotificationSerializer, PreferenceSerializer


class NotificationViewSet(viewsets.GenericViewSet[Notification]):
    """Signed-in users: their own in-app notifications."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = NotificationSerializer

    def get_queryset(self) -> QuerySet[Notification]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return Notification.objects.none()
        user: Any = self.request.user
        return Notification.objects.filter(user=user).select_related("appeal")

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(NotificationSerializer(page, many=True).data)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: int) -> Response:
        notification = actions.do_mark_read(get_object_or_404(self.get_queryset(), pk=pk))
        return Response(NotificationSerializer(notification).data)

    @extend_schema(methods=["GET"], request=None, responses={200: PreferenceSerializer(many=True)})
    @extend_schema(methods=["PUT"], request=PreferenceSerializer(many=True),
                   responses={200: PreferenceSerializer(many=True)})
    # A list body: JSON only (a form cannot carry it).
    @action(detail=False, methods=["get", "put"], serializer_class=PreferenceSerializer, pagination_class=None,
            parser_classes=[JSONParser])
    def preferences(self, request: Request) -> Response:
        """What the user receives, per kind, by e-mail and in the app."""
        if request.method == "PUT":
            serializer = PreferenceSerializer(data=request.data, many=True)
            serializer.is_valid(raise_exception=True)
            # email and in_app may be left out (the model's defaults, or the stored choice)
            actions.do_set_preferences(request.user, serializer.validated_data)
        user: Any = request.user
        prefs = NotificationPreference.objects.filter(user=user)
        return Response(PreferenceSerializer(prefs, many=True).data)
