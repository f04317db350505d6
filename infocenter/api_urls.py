from __future__ import annotations

from rest_framework.routers import DefaultRouter

from .api import CommentViewSet, SubscriptionViewSet
from .views import DocumentViewSet

router = DefaultRouter()
router.register("documents", DocumentViewSet, basename="document")
router.register("comments", CommentViewSet, basename="comment")
router.register("subscriptions", SubscriptionViewSet, basename="subscription")
urlpatterns = router.urls
