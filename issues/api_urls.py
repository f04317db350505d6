"""API routes of the appeals app, mounted under /api/v1/."""
from __future__ import annotations

from geoportal.routers import DefaultIdRouter

from .api import AgencyViewSet, AppealViewSet, CategoryViewSet, DistrictViewSet

router = DefaultIdRouter()
router.register("categories", CategoryViewSet, basename="category")
router.register("agencies", AgencyViewSet, basename="agency")
router.register("districts", DistrictViewSet, basename="district")
router.register("appeals", AppealViewSet, basename="appeal")

urlpatterns = router.urls
