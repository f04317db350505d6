"""REST API of initiative projects (``/api/v1/``). Every view names who may call it; the acts
themselves are authorised in ``projects.access`` through the actions:

- project list (GeoJSON, filters cycle, heading, district, status, bbox), project detail,
  cycles, results per heading: anyone (public data only: no author, group, voter or member);
- support, ballot: signed-in residents (citizens) in the cycle's support / voting phase;
- review: officials (operator, agency head); score: the commission (leader, agency head);
  others get 403, wrong phase or state 409, bad input 400."""
from __future__ import annotations

from typing import Any

from django.contrib.gis.geos import Polygon
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action, api_view, permission_classes
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework_gis.pagination import GeoJsonPagination

from geoportal.converters import query_id

from . import actions
from .models import BudgetCycle, Heading, Project, SelectionRun
from .selection import localize_reason
from .serializers import (
    BallotSerializer,
    CycleSerializer,
    ProjectDetailSerializer,
    ProjectFeatureSerializer,
    ReviewSerializer,
    ScoreSerializer,
)


def parse_bbox(value: str) -> Polygon:
    try:
        west, south, east, north = (float(part) for part in value.split(","))
    except ValueError:
        raise ValidationError({"bbox": [_("bbox = запад,юг,восток,север в градусах")]}) from None
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise ValidationError({"bbox": [_("Неверные границы bbox")]})
    return Polygon.from_bbox((west, south, east, north))


class ProjectPagination(GeoJsonPagination):
    page_size = 500
    max_page_size = 2000
    page_size_query_param = "page_size"


# Decimals put in a Response as they are: DRF's JSON encoder writes them as numbers.
MONEY: dict[str, Any] = {"max_digits": 16, "decimal_places": 2, "coerce_to_string": False}
SupportAnswer = inline_serializer("ProjectSupportAnswer", {"supports_count": serializers.IntegerField()})
ReviewAnswer = inline_serializer("ProjectReviewAnswer", {
    "status": serializers.CharField(), "cost": serializers.DecimalField(**MONEY, allow_null=True)})
ScoreAnswer = inline_serializer("ProjectScoreAnswer", {
    "commission_score": serializers.DecimalField(**{**MONEY, "max_digits": 10}, allow_null=True)})
BallotAnswer = inline_serializer("BallotAnswer", {"ballot": serializers.IntegerField(),
                                                  "choices": serializers.IntegerField(help_text="projects chosen")})
ResultsAnswer = inline_serializer("HeadingResults", {
    "heading": serializers.IntegerField(), "name": serializers.CharField(),
    "money": serializers.DecimalField(**MONEY), "currency": serializers.CharField(),
    "run": inline_serializer("SelectionRunResult", {
        "rule": serializers.CharField(), "created_at": serializers.DateTimeField(),
        "spent": serializers.DecimalField(**MONEY), "left": serializers.DecimalField(**MONEY),
        "decisions": inline_serializer("SelectionDecision", {
            "project": serializers.IntegerField(), "title": serializers.CharField(),
            "cost": serializers.DecimalField(**MONEY, allow_null=True), "tally": serializers.IntegerField(),
            "selected": serializers.BooleanField(), "reason": serializers.CharField()}, many=True),
    }, allow_null=True, help_text="the latest selection run; null before the first"),
})
PROJECT_FILTERS = [
    OpenApiParameter("cycle", int), OpenApiParameter("heading", int), OpenApiParameter("district", int),
    OpenApiParameter("status", str, description="status[,status...]"),
    OpenApiParameter("bbox", str, description="west,south,east,north in degrees (WGS84)"),
]


@extend_schema_view(list=extend_schema(parameters=PROJECT_FILTERS))
class ProjectViewSet(viewsets.ReadOnlyModelViewSet):
    """Anyone reads public projects; the POST acts below say who may call them."""

    permission_classes = [permissions.AllowAny]
    pagination_class = ProjectPagination
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Project]:
        queryset = Project.objects.public().select_related("district", "heading")
        params = self.request.query_params
        for name in ("cycle", "heading", "district"):
            if (value := query_id(params.get(name))) is not None:
                queryset = queryset.filter(**{f"{name}_id": value})
        if params.get("status"):
            queryset = queryset.filter(status__in=params["status"].split(","))
        if params.get("bbox"):
            queryset = queryset.filter(geometry__intersects=parse_bbox(params["bbox"]))
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("cost_items", "milestones", "photos", "events")
        return queryset.order_by("id")

    def get_serializer_class(self) -> type[Any]:
        return ProjectDetailSerializer if self.action == "retrieve" else ProjectFeatureSerializer

    @extend_schema(request=None, responses={200: SupportAnswer})
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def support(self, request: Request, pk: str | None = None) -> Response:
        """Signed-in residents (citizens), once per project, in the support phase."""
        project = actions.do_support_project(self.get_object(), actor=request.user)
        return Response({"supports_count": project.supports_count})

    @extend_schema(request=ReviewSerializer, responses={200: ReviewAnswer})
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def review(self, request: Request, pk: str | None = None) -> Response:
        """Officials (operator, agency head) in the review phase."""
        project = get_object_or_404(Project.objects.all(), pk=pk)
        data = ReviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        project = actions.do_review_project(project, actor=request.user, **data.validated_data)
        return Response({"status": project.status, "cost": project.cost})

    @extend_schema(request=ScoreSerializer, responses={200: ScoreAnswer})
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def score(self, request: Request, pk: str | None = None) -> Response:
        """Commission members (leader, agency head) in the scoring phase."""
        project = get_object_or_404(Project.objects.all(), pk=pk)
        data = ScoreSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        total = actions.do_score_project(project, member=request.user, scores=data.validated_data["scores"],
                                         comment=data.validated_data["comment"])
        return Response({"commission_score": total})


class CycleViewSet(viewsets.ReadOnlyModelViewSet):
    """Anyone: cycles with their phases, headings and ballot rules."""

    permission_classes = [permissions.AllowAny]
    serializer_class = CycleSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[BudgetCycle]:
        return BudgetCycle.objects.prefetch_related(
            "phases", Prefetch("headings", queryset=Heading.objects.select_related("district"))).order_by("-id")


@extend_schema(request=BallotSerializer, responses={201: BallotAnswer})
@api_view(["POST"])
@permission_classes([permissions.IsAuthenticated])
def cast_ballot(request: Request, heading_id: int) -> Response:
    """Signed-in residents (citizens), one ballot per heading, in the voting phase:
    201; a ballot breaking the cycle's rule 400; a second ballot 409; staff 403."""
    heading = get_object_or_404(Heading.objects.select_related("cycle"), pk=heading_id)
    data = BallotSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    ballot = actions.do_cast_ballot(heading, voter=request.user, choices=data.validated_data["choices"])
    return Response({"ballot": ballot.pk, "choices": ballot.choices.count()}, status=status.HTTP_201_CREATED)


@extend_schema(request=None, responses={200: ResultsAnswer})
@api_view(["GET"])
@permission_classes([permissions.AllowAny])
def results(request: Request, heading_id: int) -> Response:
    """Anyone: the latest selection run of a heading, every project with its reason (stored in
    Russian, given in the request's language)."""
    heading = get_object_or_404(Heading.objects.select_related("cycle"), pk=heading_id)
    run = SelectionRun.objects.filter(heading=heading).first()
    body: dict[str, Any] = {"heading": heading.pk, "name": heading.name, "money": heading.money,
                            "currency": heading.cycle.currency, "run": None}
    if run is not None:
        body["run"] = {
            "rule": run.rule, "created_at": run.created_at, "spent": run.spent, "left": run.money - run.spent,
            "decisions": [{"project": d.project_id, "title": d.project.title, "cost": d.project.cost,
                           "tally": d.tally, "selected": d.selected,
                           "reason": localize_reason(d.reason)}
                          for d in run.decisions.select_related("project")],
        }
    return Response(body)
