"""The appeal's lifecycle endpoints (``POST /api/v1/appeals/<id>/<transition>/``), mixed into
``AppealViewSet``. Each parses its body, then calls the one action; who may act is checked in the
action (``issues.access.TRANSITION_ROLES``) after ``access_appeal`` has settled what the caller
may see (someone who cannot see the appeal gets 404, not 403)."""
from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from .. import actions
from ..access import access_appeal, can_transition
from ..models import (
    Appeal,
)
from ..photos import validate_photo
from ..serializers import (
    AnswerSerializer,
    AppealFullSerializer,
    AssignSerializer,
    ExtendSerializer,
    MergeSerializer,
    ModerateSerializer,
    RateSerializer,
    RedirectSerializer,
    RejectSerializer,
    RouteSerializer,
)


class AppealLifecycleMixin:
    def _transition(self, request: Request, pk: int, serializer_class: Any, run: Any) -> Response:
        appeal, _full = access_appeal(request.user, pk)
        if not request.user.is_authenticated:
            return Response({"detail": _("Требуется вход.")}, status=status.HTTP_401_UNAUTHORIZED)
        data: dict[str, Any] = {}
        if serializer_class is not None:
            serializer = serializer_class(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = dict(serializer.validated_data)
        run(appeal, request.user, data)
        appeal = Appeal.objects.select_related("category", "district", "responsible_agency", "author__profile").get(
            pk=appeal.pk)
        return Response(AppealFullSerializer(appeal, context={"request": request}).data)

    @extend_schema(request=None, responses={200: AppealFullSerializer})
    @action(detail=True, methods=["post"])
    def register(self, request: Request, pk: int) -> Response:
        """Operators: register a paper/phone appeal (then it is routed)."""
        return self._transition(request, pk, None, lambda a, u, d: actions.register_appeal(a, actor=u))

    @extend_schema(request=RouteSerializer, responses={200: AppealFullSerializer})
    @action(detail=True, methods=["post"], serializer_class=RouteSerializer)
    def route(self, request: Request, pk: int) -> Response:
        """Operators: route a registered appeal from the operator's queue."""
        return self._transition(request, pk, RouteSerializer,
                                lambda a, u, d: actions.route_appeal(a, actor=u, agency=d["agency"],
                                                                     reason=d["reason"]))

    @extend_schema(request=None, responses={200: AppealFullSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: int) -> Response:
        """Executors and heads of the responsible agency."""
        return self._transition(request, pk, None, lambda a, u, d: actions.accept_appeal(a, actor=u))

    @extend_schema(request=None, responses={200: AppealFullSerializer})
    @action(detail=True, methods=["post"])
    def claim(self, request: Request, pk: int) -> Response:
        """Executors of the responsible agency: take the appeal (first one wins)."""
        return self._transition(request, pk, None, lambda a, u, d: actions.claim_appeal(a, actor=u))

    @extend_schema(request=None, responses={200: AppealFullSerializer})
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: int) -> Response:
        """Executors and heads of the responsible agency."""
        return self._transition(request, pk, None, lambda a, u, d: actions.start_work(a, actor=u))

    @extend_schema(request=AssignSerializer, responses={200: AppealFullSerializer})
    @action(detail=True, methods=["post"], serializer_class=AssignSerializer)
    def assign(self, request: Request, pk: int) -> Response:
        """Heads of the responsible agency."""
        return self._transition(request, pk, AssignSerializer,
                                lambda a, u, d: actions.assign_executor(a, actor=u, executor=d["executor"]))

    @extend_schema(request=AnswerSerializer, responses={200: AppealFullSerializer})
    @action(detail=True, methods=["post"], serializer_class=AnswerSerializer)
    def answer(self, request: Request, pk: int) -> Response:
        """Executors and heads of the responsible agency: the answer on the merits."""
        # who calls is settled before any upload is decoded: decoding images is the expensive
        # part, and a caller without the right must not get to make the server do it
        appeal, _full = access_appeal(request.user, int(pk))
        if not request.user.is_authenticated:
            return Response({"detail": _("Требуется вход.")}, status=status.HTTP_401_UNAUTHORIZED)
        if not can_transition(request.user, appeal, "answer"):
            raise PermissionDenied(_("Нет прав на действие «{transition}» с этим обращением.").format(
                transition="answer"))
        photos = request.FILES.getlist("photos") if hasattr(request, "FILES") else []
        if len(photos) > settings.APPEAL_MAX_PHOTOS:
            raise DRFValidationError({"photos": [_("Не более {count} фотографий.").format(
                count=settings.APPEAL_MAX_PHOTOS)]})
        for upload in photos:
            validate_photo(upload)
        return self._transition(request, pk, AnswerSerializer,
                                lambda a, u, d: actions.answer_appeal(a, actor=u, text=d["text"], result=d["result"],
                                                                      photos=photos))

    @extend_schema(request=RedirectSerializer, responses={200: AppealFullSerializer})
    @action(detail=True, methods=["post"], serializer_class=RedirectSerializer)
    def redirect(self, request: Request, pk: int) -> Response:
        """Operators and heads of the responsible agency (reason required)."""
        return self._transition(request, pk, RedirectSerializer,
                                lambda a, u, d: actions.redirect_appeal(a, actor=u, agency=d["agency"],
                                                                        reason=d["reason"]))

    @extend_schema(request=ExtendSerializer, responses={200: AppealFullSerializer})
    @action(detail=True, methods=["post"], serializer_class=ExtendSerializer)
    def extend(self, request: Request, pk: int) -> Response:
        """Heads of the responsible agency: once, up to 30 days, with a reason."""
        return self._transition(request, pk, ExtendSerializer,
                                lambda a, u, d: actions.extend_deadline(a, actor=u, days=d["days"],
                                                                        reason=d["reason"]))

    @extend_schema(request=RejectSerializer, responses={200: AppealFullSerializer})
    @action(detail=True, methods=["post"], serializer_class=RejectSerializer)
    def reject(self, request: Request, pk: int) -> Response:
        """Operators and moderators: reject with a reason shown to the author."""
        return self._transition(request, pk, RejectSerializer,
                                lambda a, u, d: actions.reject_appeal(a, actor=u, reason=d["reason"], note=d["note"]))

    @extend_schema(request=MergeSerializer, responses={200: AppealFullSerializer})
    @action(detail=True, methods=["post"], serializer_class=MergeSerializer)
    def merge(self, request: Request, pk: int) -> Response:
        """Operators and moderators: merge into another appeal on the same problem."""
        return self._transition(request, pk, MergeSerializer,
                                lambda a, u, d: actions.merge_appeal(a, actor=u, into=d["into"]))

    @extend_schema(request=RateSerializer, responses={200: AppealFullSerializer})
    @action(detail=True, methods=["post"], serializer_class=RateSerializer)
    def rate(self, request: Request, pk: int) -> Response:
        """The author: rate the answer (a low score on an unsolved problem reopens it)."""
        return self._transition(request, pk, RateSerializer, lambda a, u, d: actions.rate_appeal(a, actor=u, **d))

    @extend_schema(request=ModerateSerializer, responses={200: AppealFullSerializer})
    @action(detail=True, methods=["post"], serializer_class=ModerateSerializer)
    def moderate(self, request: Request, pk: int) -> Response:
        """Moderators: hide from the public or redact the public text."""
        return self._transition(request, pk, ModerateSerializer,
                                lambda a, u, d: actions.moderate_appeal(a, actor=u, is_public=d["is_public"],
                                                                        redacted_text=d["text"], reason=d["reason"]))

    @extend_schema(request=None, responses={200: AppealFullSerializer})
    @action(detail=True, methods=["post"])
    def support(self, request: Request, pk: int) -> Response:
        """Signed-in citizens: support an open appeal instead of filing a duplicate."""
        return self._transition(request, pk, None, lambda a, u, d: actions.support_appeal(a, actor=u))
