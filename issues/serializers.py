"""Appeal representations. The public one never carries personal data: no author, no
contacts, no private text, no internal notes."""
from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from geoportal.models import Agency, District, User

from .access import public_answer, public_text, redact_personal
from .models import (
    Appeal,
    AppealEvent,
    AppealPhoto,
    AppealType,
    Category,
    Channel,
    Kind,
    Message,
    RejectReason,
    Result,
    Visibility,
)
from .routing_service import event_reason, explanation_text


class CategorySerializer(serializers.ModelSerializer[Category]):
    # blank for categories outside the classifier: the model's pattern holds only when set
    classifier_code = serializers.CharField(read_only=True)

    class Meta:
        model = Category
        fields = ["id", "parent", "code", "name", "name_en", "classifier_code", "deadline_rule", "deadline_days",
                  "photo_required", "anonymous_allowed", "duplicate_radius_m", "is_active"]


class AgencySerializer(serializers.ModelSerializer[Agency]):
    class Meta:
        model = Agency
        fields = ["id", "name", "short_name", "kind", "parent", "email", "is_active"]


class DistrictSerializer(GeoFeatureModelSerializer):
    class Meta:
        model = District
        geo_field = "boundary"
        fields = ["id", "name", "code", "population"]


class PhotoSerializer(serializers.ModelSerializer[AppealPhoto]):
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = AppealPhoto
        fields = ["id", "kind", "url", "thumbnail_url"]

    def get_url(self, obj: AppealPhoto) -> str | None:
        return obj.copy_url if obj.public_copy else None

    def get_thumbnail_url(self, obj: AppealPhoto) -> str | None:
        return obj.thumb_url if obj.public_copy else None


PUBLIC_FIELDS = [
    "id", "number", "status", "status_display", "category", "category_name", "district", "agency", "address",
    "text", "kind", "appeal_type", "received_at", "registered_at", "deadline_at", "answered_at", "closed_at",
    "extended", "result", "result_display", "answer_text", "supporters_count", "sla", "photos",
]


class AppealPublicSerializer(GeoFeatureModelSerializer):
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    # In the request's language like the pages (LocaleMiddleware: the language cookie, else
    # Accept-Language; Russian by default): the English name when the register has one.
    category_name = serializers.CharField(source="category.label", read_only=True)
    district = serializers.CharField(source="district.name", read_only=True, default=None, allow_null=True)
    agency = serializers.CharField(source="responsible_agency.short_name", read_only=True, default=None,
                                   allow_null=True)
    result_display = serializers.CharField(source="get_result_display", read_only=True)
    text = serializers.SerializerMethodField()
    answer_text = serializers.SerializerMethodField()
    sla = serializers.SerializerMethodField()
    photos = serializers.SerializerMethodField()

    class Meta:
        model = Appeal
        geo_field = "location"
        fields = PUBLIC_FIELDS

    def get_text(self, obj: Appeal) -> str | None:
        return public_text(obj)

    def get_answer_text(self, obj: Appeal) -> str:
        return public_answer(obj)

    def get_sla(self, obj: Appeal) -> str:
        now = self.context.setdefault("now", timezone.now())
        return obj.sla(now)

    def get_photos(self, obj: Appeal) -> list[dict[str, Any]]:
        photos = [p for p in obj.photos.all() if p.public_copy]
        return PhotoSerializer(photos, many=True).data  # type: ignore[return-value]


class AppealFullSerializer(AppealPublicSerializer):
    """For the author and the staff allowed by ``Appeal.objects.visible_to``."""

    author = serializers.SerializerMethodField()
    executor = serializers.CharField(source="executor.username", read_only=True, default=None, allow_null=True)
    agency_id = serializers.IntegerField(source="responsible_agency_id", read_only=True)
    text = serializers.CharField(read_only=True)  # type: ignore[assignment]
    answer_text = serializers.CharField(read_only=True)  # type: ignore[assignment]
    routing_explanation = serializers.SerializerMethodField()

    class Meta(AppealPublicSerializer.Meta):
        fields = [*PUBLIC_FIELDS, "author", "executor", "agency_id", "channel", "text_is_private", "is_public",
                  "no_answer_required", "reject_reason", "moderation_note", "extension_reason", "redirect_count",
                  "reopen_count", "routing_confidence", "routing_explanation", "routing_suggestions",
                  "duplicate_of", "earlier_appeal", "location_source"]

    def get_routing_explanation(self, obj: Appeal) -> str:
        """In the request's language (``Accept-Language``), from the decision's facts."""
        return explanation_text(obj.routing_facts, obj.routing_explanation)

    def get_author(self, obj: Appeal) -> dict[str, str] | None:
        if obj.author_id and obj.author:
            profile = getattr(obj.author, "profile", None)
            return {"name": profile.full_name if profile else obj.author.get_full_name() or obj.author.username,
                    "email": (profile.email if profile else "") or obj.author.email,
                    "phone": profile.phone if profile else ""}
        if obj.author_name or obj.author_contact:
            return {"name": obj.author_name, "contact": obj.author_contact}
        return None


@extend_schema_serializer(component_name="AppealEvent")
class EventSerializer(serializers.ModelSerializer[AppealEvent]):
    reason = serializers.SerializerMethodField()

    class Meta:
        model = AppealEvent
        fields = ["id", "created_at", "kind", "from_status", "to_status", "reason", "data"]

    def get_reason(self, obj: AppealEvent) -> str:
        """A routing event's explanation in the request's language; other reasons as written."""
        return event_reason(obj)


@extend_schema_serializer(component_name="AppealPublicEvent")
class PublicEventSerializer(serializers.ModelSerializer[AppealEvent]):
    """The public timeline: what happened and when, never who or private data."""

    class Meta:
        model = AppealEvent
        fields = ["created_at", "kind", "from_status", "to_status"]


class AppealCreateSerializer(serializers.Serializer[Any]):
    # with its parent: routing walks the lineage (Category.lineage), two levels in the register
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.select_related("parent"))
    text = serializers.CharField(trim_whitespace=True, allow_blank=True)
    lat = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    lon = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180)
    address = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.WEB)
    kind = serializers.ChoiceField(choices=Kind.choices, default=Kind.INDIVIDUAL)
    appeal_type = serializers.ChoiceField(choices=AppealType.choices, default=AppealType.STATEMENT)
    text_is_private = serializers.BooleanField(default=False)
    author_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)
    author_contact = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)
    photos = serializers.ListField(child=serializers.FileField(), required=False, default=list)
    attachments = serializers.ListField(child=serializers.FileField(), required=False, default=list)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if (attrs.get("lat") is None) != (attrs.get("lon") is None):
            raise serializers.ValidationError({"location": _("Укажите и широту, и долготу.")})
        return attrs


class RouteSerializer(serializers.Serializer[Any]):
    agency = serializers.PrimaryKeyRelatedField(queryset=Agency.objects.filter(is_active=True))
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class RedirectSerializer(serializers.Serializer[Any]):
    agency = serializers.PrimaryKeyRelatedField(queryset=Agency.objects.all())
    reason = serializers.CharField(allow_blank=True)


class AnswerSerializer(serializers.Serializer[Any]):
    text = serializers.CharField(allow_blank=True)
    result = serializers.ChoiceField(choices=Result.choices)
    photos = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class ExtendSerializer(serializers.Serializer[Any]):
    days = serializers.IntegerField()
    reason = serializers.CharField(allow_blank=True)


class RejectSerializer(serializers.Serializer[Any]):
    reason = serializers.ChoiceField(choices=RejectReason.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class MergeSerializer(serializers.Serializer[Any]):
    into = serializers.PrimaryKeyRelatedField(queryset=Appeal.objects.all())


class AssignSerializer(serializers.Serializer[Any]):
    executor = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))


class RateSerializer(serializers.Serializer[Any]):
    solved = serializers.BooleanField()
    score = serializers.IntegerField(min_value=1, max_value=5)
    politeness = serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True)
    timeliness = serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class ModerateSerializer(serializers.Serializer[Any]):
    is_public = serializers.BooleanField(required=False, allow_null=True, default=None)
    text = serializers.CharField(required=False, allow_null=True, default=None)
    reason = serializers.CharField(allow_blank=True)


class MessageSerializer(serializers.ModelSerializer[Message]):
    author_role = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = ["id", "created_at", "visibility", "text", "author_role"]
        read_only_fields = ["id", "created_at", "author_role"]

    def get_author_role(self, obj: Message) -> str:
        if obj.author_id and obj.author_id == obj.appeal.author_id:
            return "author"
        return "staff"

    def to_representation(self, instance: Message) -> dict[str, Any]:
        data = super().to_representation(instance)
        if self.context.get("public"):  # a reader without the full view: no personal data
            data["text"] = redact_personal(data["text"], instance.appeal)
        return data

    def validate_visibility(self, value: str) -> str:
        if value not in Visibility.values:
            raise serializers.ValidationError(_("Неизвестная видимость."))
        return value


