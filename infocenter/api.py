"""Comments and subscriptions API.

- GET /api/v1/comments/?kind=appeal|project&target=ID — anyone; hidden comments are left out;
  authors appear only by their chosen public name («Житель» otherwise).
- POST /api/v1/comments/ — signed-in users; POST …/{id}/report/ — signed-in users (both limited
  to ``COMMENT_RATE`` per user, 429 beyond); DELETE …/{id}/ — the comment's author only (hidden
  as «удалён автором», 204); POST …/{id}/moderate/ — moderators and administrators.
- /api/v1/subscriptions/ — signed-in users, their own subscriptions only."""
from __future__ import annotations

from typing import Any, NoReturn

from django.db.models import QuerySet
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, Throttled, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle, UserRateThrottle

from geoportal.converters import query_id
from geoportal.openapi import error

from . import discussion
from .models import Comment, Subscription


class CommentSerializer(serializers.ModelSerializer[Comment]):
    author = serializers.SerializerMethodField()

    class Meta:
        model = Comment
        fields = ["id", "kind", "target_id", "parent", "author", "text", "is_question", "is_official", "answered_at",
                  "created_at"]

    def get_author(self, obj: Comment) -> str:
        return discussion.display_name(obj)

    def to_representation(self, instance: Comment) -> dict[str, Any]:
        data = super().to_representation(instance)
        clean = self.context.get("clean_text")
        if clean is not None:
            data["text"] = clean(data["text"])
        return data


class CommentInput(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=["appeal", "project"])
    target_id = serializers.IntegerField()
    text = serializers.CharField(allow_blank=True)
    parent = serializers.PrimaryKeyRelatedField(  # type: ignore[assignment]
        queryset=Comment.objects.filter(is_hidden=False), required=False,
        allow_null=True)
    is_question = serializers.BooleanField(default=False)


class CommentRateThrottle(UserRateThrottle):
    """Writes to discussions per signed-in user (settings: ``COMMENT_RATE``, e.g. "10/min")."""

    scope = "comments"


class ReportInput(serializers.Serializer[Any]):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ModerateInput(serializers.Serializer[Any]):
    hidden = serializers.BooleanField(required=False, default=True)
    note = serializers.CharField(required=False, allow_blank=True, default="")


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("kind", str, enum=["appeal", "project"], required=True),
                                   OpenApiParameter("target", int, required=True, description="the appeal's or "
                                                    "project's id")],
                       responses={200: CommentSerializer(many=True), 404: error("No such appeal or project.")}),
    create=extend_schema(request=CommentInput, responses={201: CommentSerializer}),
    destroy=extend_schema(responses={204: None}),
    report=extend_schema(request=ReportInput, responses={200: inline_serializer(
        "CommentReported", {"reported": serializers.BooleanField()})}),
    moderate=extend_schema(request=ModerateInput, responses={200: inline_serializer(
        "CommentModerated", {"hidden": serializers.BooleanField()})}),
)
class CommentViewSet(viewsets.GenericViewSet[Comment]):
    serializer_class = CommentSerializer
    pagination_class = None  # a discussion comes whole

    def get_permissions(self) -> list[Any]:
        if self.action == "list":
            return [permissions.AllowAny()]
        return [permissions.IsAuthenticated()]

    def get_throttles(self) -> list[BaseThrottle]:
        throttles = super().get_throttles()
        if self.action in ("create", "report"):
            throttles.append(CommentRateThrottle())
        return throttles

    def throttled(self, request: Request, wait: float) -> NoReturn:
        """Too many comments or reports: said in the request's language (DRF's own Russian
        message is half English), with the wait in seconds and the Retry-After header."""
        if self.action not in ("create", "report"):
            super().throttled(request, wait)
        seconds = max(1, round(wait or 60))
        refused = Throttled(detail=gettext("Слишком много комментариев и жалоб подряд: попробуйте снова через "
                                           "{seconds} с.").format(seconds=seconds))
        setattr(refused, "wait", wait)  # noqa: B010 (the stubs do not declare it; the handler sets Retry-After from it)
        raise refused

    def get_queryset(self) -> QuerySet[Comment]:
        return (Comment.objects.filter(is_hidden=False).select_related("author__profile")
                .prefetch_related("author__memberships__agency"))

    def list(self, request: Request) -> Response:
        kind, target = request.query_params.get("kind"), query_id(request.query_params.get("target"))
        if kind not in ("appeal", "project") or target is None:
            raise ValidationError({"kind": gettext("kind=appeal|project и target=<id> обязательны.")})
        if not discussion.target_exists(kind, target):
            return Response({"detail": gettext("Не найдено.")}, status=404)
        comments = self.get_queryset().filter(kind=kind, target_id=target)
        clean = discussion.public_comment_text(kind, target)
        return Response(CommentSerializer(comments, many=True, context={"clean_text": clean}).data)

    def create(self, request: Request) -> Response:
        data = CommentInput(data=request.data)
        data.is_valid(raise_exception=True)
        comment = discussion.post_comment(actor=request.user, **data.validated_data)
        clean = discussion.public_comment_text(comment.kind, comment.target_id)
        return Response(CommentSerializer(comment, context={"clean_text": clean}).data,
                        status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, pk: str) -> Response:
        comment = self.get_queryset().filter(pk=pk).first()
        if comment is None:
            return Response({"detail": gettext("Не найдено.")}, status=404)
        discussion.delete_own_comment(actor=request.user, comment=comment)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"])
    def report(self, request: Request, pk: str) -> Response:
        comment = self.get_queryset().filter(pk=pk).first()
        if comment is None:
            return Response({"detail": gettext("Не найдено.")}, status=404)
        data = ReportInput(data=request.data)
        data.is_valid(raise_exception=True)
        discussion.report_comment(actor=request.user, comment=comment, reason=data.validated_data["reason"])
        return Response({"reported": True})

    @action(detail=True, methods=["post"])
    def moderate(self, request: Request, pk: str) -> Response:
        comment = Comment.objects.filter(pk=pk).first()
        if comment is None:
            return Response({"detail": gettext("Не найдено.")}, status=404)
        data = ModerateInput(data=request.data)
        data.is_valid(raise_exception=True)
        discussion.moderate_comment(actor=request.user, comment=comment, hidden=data.validated_data["hidden"],
                                    note=data.validated_data["note"])
        return Response({"hidden": comment.is_hidden})


class SubscriptionSerializer(serializers.ModelSerializer[Subscription]):
    class Meta:
        model = Subscription
        fields = ["id", "kind", "target_id", "created_at"]
        read_only_fields = ["id", "created_at"]


@extend_schema_view(destroy=extend_schema(responses={204: None}))
class SubscriptionViewSet(viewsets.GenericViewSet[Subscription]):
    permission_classes = [permissions.IsAuthenticated]
    serializer_class = SubscriptionSerializer
    pagination_class = None  # the list comes whole

    def get_queryset(self) -> QuerySet[Subscription]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return Subscription.objects.none()
        user: Any = self.request.user
        return Subscription.objects.filter(user=user)

    def list(self, request: Request) -> Response:
        return Response(SubscriptionSerializer(self.get_queryset(), many=True).data)

    def create(self, request: Request) -> Response:
        serializer = SubscriptionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        discussion.subscribe(actor=request.user, **serializer.validated_data)
        subscription = self.get_queryset().get(**serializer.validated_data)
        return Response(SubscriptionSerializer(subscription).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, pk: str) -> Response:
        deleted, _by_model = self.get_queryset().filter(pk=pk).delete()
        if not deleted:
            raise NotFound
        return Response(status=status.HTTP_204_NO_CONTENT)
