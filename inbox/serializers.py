"""The inbox's API shapes: a notice and a per-kind preference."""
from __future__ import annotations

from rest_framework import serializers

from .models import Notification, NotificationPreference


class NotificationSerializer(serializers.ModelSerializer[Notification]):
    appeal_number = serializers.CharField(source="appeal.number", default=None, read_only=True, allow_null=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "appeal", "appeal_number", "created_at", "read_at"]


class PreferenceSerializer(serializers.ModelSerializer[NotificationPreference]):
    class Meta:
        model = NotificationPreference
        fields = ["kind", "email", "in_app"]
