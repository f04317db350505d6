"""Reference data of the appeals API: categories, agencies, districts. Anyone may read them."""
from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import permissions, viewsets

from geoportal.models import Agency, District

from ..access import is_staff_user
from ..models import (
    Category,
)
from ..serializers import (
    AgencySerializer,
    CategorySerializer,
    DistrictSerializer,
)


@extend_schema_view(list=extend_schema(parameters=[OpenApiParameter(
    "all", str, description="Staff only: any value includes inactive categories.")]))
class CategoryViewSet(viewsets.ReadOnlyModelViewSet[Category]):
    """Anyone: the category tree (active categories unless ``?all=1`` by staff)."""

    permission_classes = [permissions.AllowAny]
    serializer_class = CategorySerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[Category]:
        queryset = Category.objects.all()
        if not (self.request.query_params.get("all") and is_staff_user(self.request.user)):
            queryset = queryset.filter(is_active=True)
        return queryset


class AgencyViewSet(viewsets.ReadOnlyModelViewSet[Agency]):
    """Anyone: agencies (public bodies; no staff data)."""

    permission_classes = [permissions.AllowAny]
    serializer_class = AgencySerializer
    queryset = Agency.objects.filter(is_active=True)
    pagination_class = None


class DistrictViewSet(viewsets.ReadOnlyModelViewSet[District]):
    """Anyone: districts as GeoJSON."""

    permission_classes = [permissions.AllowAny]
    serializer_class = DistrictSerializer
    queryset = District.objects.all()
    pagination_class = None

