"""Public shapes of initiative projects. No serializer here carries personal data: no author,
no initiative group member, no voter, no commission member."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from .actions import spent
from .models import (
    PRIVATE_NOTE_EVENTS,
    BudgetCycle,
    CostItem,
    Heading,
    Milestone,
    Phase,
    Project,
    ProjectEvent,
    ProjectPhoto,
)
from .selection import localize_reason


class ReasonField(serializers.CharField):
    """A selection reason: stored in Russian, given in the request's language."""

    def to_representation(self, value: Any) -> str:
        return localize_reason(str(value or ""))


class ProjectFeatureSerializer(GeoFeatureModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    cost = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)
    district = serializers.CharField(source="district.name", default=None, read_only=True, allow_null=True)

    class Meta:
        model = Project
        geo_field = "geometry"
        fields = ["id", "title", "status", "status_label", "cycle", "heading", "district", "category", "cost",
                  "supports_count", "tally", "progress_percent"]


class CostItemSerializer(serializers.ModelSerializer):
    amount = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)

    class Meta:
        model = CostItem
        fields = ["name", "quantity", "unit", "unit_price", "amount"]


class MilestoneSerializer(serializers.ModelSerializer):
    children = serializers.SerializerMethodField()

    class Meta:
        model = Milestone
        fields = ["id", "title", "weight", "status", "progress", "starts_on", "due_on", "completed_on", "children"]

    def get_children(self, milestone: Milestone) -> list[dict[str, Any]]:
        kids = self.context.get("children", {}).get(milestone.pk, [])
        return MilestoneSerializer(kids, many=True, context=self.context).data  # type: ignore[return-value]


@extend_schema_serializer(component_name="ProjectEvent")
class EventSerializer(serializers.ModelSerializer):
    """The public timeline: what happened and when, never who (officials act for the body)."""

    class Meta:
        model = ProjectEvent
        fields = ["kind", "from_status", "to_status", "note", "created_at"]

    def to_representation(self, event: ProjectEvent) -> dict[str, Any]:
        data = super().to_representation(event)
        if event.kind == "selection":  # the note is the selection's reason
            data["note"] = localize_reason(data["note"] or "")
        elif event.kind in PRIVATE_NOTE_EVENTS:  # as on the project page: the fact, not the words
            data["note"] = ""
        return data


class PhotoSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProjectPhoto
        fields = ["id", "image", "caption", "taken_at", "location", "milestone"]


class ProjectDetailSerializer(GeoFeatureModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    cost = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)
    district = serializers.CharField(source="district.name", default=None, read_only=True, allow_null=True)
    heading_name = serializers.CharField(source="heading.name", read_only=True)
    selection_reason = ReasonField(read_only=True)
    cost_items = CostItemSerializer(many=True, read_only=True)
    milestones = serializers.SerializerMethodField()
    events = EventSerializer(many=True, read_only=True)
    photos = PhotoSerializer(many=True, read_only=True)
    spent = serializers.SerializerMethodField()
    group_size = serializers.IntegerField(source="group_members.count", read_only=True)

    class Meta:
        model = Project
        geo_field = "geometry"
        fields = ["id", "title", "description", "problem", "expected_results", "status", "status_label", "cycle",
                  "heading", "heading_name", "district", "category", "cost_estimate", "reviewed_price", "cost",
                  "cofinancing_residents", "cofinancing_business", "cofinancing_local_budget", "inkind_labour",
                  "beneficiaries", "durability_years", "group_size", "supports_count", "tally", "commission_score",
                  "need_score", "feasibility_explanation", "selection_reason", "progress_percent", "contractor",
                  "contract_amount", "spent", "cost_items", "milestones", "photos", "events"]

    def get_milestones(self, project: Project) -> list[dict[str, Any]]:
        children: dict[int | None, list[Milestone]] = {}
        for milestone in project.milestones.all():
            children.setdefault(milestone.parent_id, []).append(milestone)
        return MilestoneSerializer(children.get(None, []), many=True,  # type: ignore[return-value]
                                   context={"children": children}).data

    def get_spent(self, project: Project) -> Decimal:
        return spent(project)


class PhaseSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Phase
        fields = ["kind", "kind_label", "starts_at", "ends_at"]


class HeadingSerializer(serializers.ModelSerializer):
    district = serializers.CharField(source="district.name", default=None, read_only=True, allow_null=True)

    class Meta:
        model = Heading
        fields = ["id", "name", "district", "money"]


class CycleSerializer(serializers.ModelSerializer):
    phases = PhaseSerializer(many=True, read_only=True)
    headings = HeadingSerializer(many=True, read_only=True)

    class Meta:
        model = BudgetCycle
        fields = ["id", "name", "territory", "total_money", "currency", "ballot_rule", "max_approvals",
                  "min_approvals", "points_total", "max_ranks", "selection_rule", "min_threshold", "min_group_size",
                  "phases", "headings"]


class ChoiceSerializer(serializers.Serializer):
    project = serializers.IntegerField()
    points = serializers.IntegerField(required=False, default=1)


class BallotSerializer(serializers.Serializer):
    choices = ChoiceSerializer(many=True)


class ReviewSerializer(serializers.Serializer):
    feasible = serializers.BooleanField()
    explanation = serializers.CharField(required=False, allow_blank=True, default="")
    reviewed_price = serializers.DecimalField(max_digits=16, decimal_places=2, required=False, allow_null=True,
                                              default=None)


class ScoreSerializer(serializers.Serializer):
    scores = serializers.DictField(child=serializers.DecimalField(max_digits=8, decimal_places=2))
    comment = serializers.CharField(required=False, allow_blank=True, default="")
