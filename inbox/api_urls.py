"""API routes of the inbox, mounted under /api/v1/."""
from __future__ import annotations

from geoportal.routers import IdRouter

from .api import NotificationViewSet

router = IdRouter()
router.register("notifications", NotificationViewSet, basename="notification")

urlpatterns = router.urls
