from __future__ import annotations

from geoportal.routers import DefaultIdRouter

from .api import CommentViewSet, SubscriptionViewSet
from .views import DocumentViewSet

router = DefaultIdRouter()
router.register("documents", DocumentViewSet, basename="document")
router.register("comments", CommentViewSet, basename="comment")
router.register("subscriptions", SubscriptionViewSet, basename="subscription")
urlpatterns = router.urls
