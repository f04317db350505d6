"""API routes of the appeals app, mounted under /api/v1/."""
from __future__ import annotations

from geoportal.routers import DefaultIdRouter

from .api import AgencyViewSet, AppealViewSet, CategoryViewSet, DistrictViewSet, NotificationViewSet

router = DefaultIdRouter()
router.register("categories", CategoryViewSet, basename="category")
router.register("agencies", AgencyViewSet, basename="agency")
router.register("districts", DistrictViewSet, basename="district")
router.register("appeals", AppealViewSet, basename="appeal")
router.register("notifications", NotificationViewSet, basename="notification")

urlpatterns = router.urls
