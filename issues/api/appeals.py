"""REST API of appeals (``/api/v1/appeals/``). Every view names who may call it:

- categories, agencies, districts, the public appeal list/detail, nearby: anyone;
- create: signed-in users (citizens on web/mobile; operators for phone, e-mail, paper);
- transitions: the roles in ``issues.access.TRANSITION_ROLES`` (checked in the actions);
- rate: the author; messages: the author and the responsible staff;
- ``scope=mine`` / ``scope=work``: the user's own appeals / what ``visible_to`` allows, in full."""
from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import Point
from django.contrib.gis.measure import D
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework_gis.pagination import GeoJsonPagination

from geoportal.models import Role

from .. import actions
from .. import api_docs as docs
from ..access import access_appeal, can_transition, is_staff_user
from ..actions.numbering import numbered_last
from ..filters import AppealFilter
from ..models import (
    OPEN_STATUSES,
    Appeal,
    AppealPhoto,
    Category,
    Channel,
    IdempotencyKey,
    Message,
    Visibility,
)
from ..photos import validate_photo
from ..serializers import (
    AppealCreateSerializer,
    AppealFullSerializer,
    AppealPublicSerializer,
    EventSerializer,
    MessageSerializer,
    PublicEventSerializer,
)
from .lifecycle import AppealLifecycleMixin

CITIZEN_CHANNELS = (Channel.WEB, Channel.MOBILE)


class CappedCountPaginator(Paginator):
    """Counts the matching appeals only up to ``API_COUNT_CAP``: at ten million appeals an exact
    ``count(*)`` of a dense map extent read 387,000 rows (1.9 s) for a page that took 51 ms.
    ``capped`` says the true number is larger; the pages past the cap are not served (a client
    narrows the filters, or takes the open-data export for everything)."""

    capped = False

    @cached_property
    def count(self) -> int:
        cap = settings.API_COUNT_CAP
        # count(*) of a subquery with LIMIT cap + 1, unordered: any cap + 1 rows will do
        rows: QuerySet[Any] = self.object_list  # type: ignore[assignment]  # the view's queryset
        counted = rows.order_by()[: cap + 1].count()
        self.capped = counted > cap
        return min(counted, cap)


class AppealPagination(GeoJsonPagination):
    page_size = 100
    max_page_size = 1000
    page_size_query_param = "page_size"
    django_paginator_class = CappedCountPaginator

    @property
    def invalid_page_message(self) -> str:  # type: ignore[override]  # DRF formats it with {message}
        cap = f"{settings.API_COUNT_CAP:,}".replace(",", "\u00a0")
        return _("Нет такой страницы ({message}). Список показывает не больше первых {cap} обращений: "
                 "сузьте bbox или фильтры.").replace("{cap}", cap)

    def get_paginated_response(self, data: Any) -> Response:
        response = super().get_paginated_response(data)
        response.data["count_capped"] = self.page.paginator.capped
        return response

    def get_paginated_response_schema(self, view: Any) -> dict[str, Any]:
        schema = super().get_paginated_response_schema(view)
        schema["properties"]["count"]["description"] = (
            "matching appeals, counted up to API_COUNT_CAP (10,000 by default)")
        schema["properties"]["count_capped"] = {
            "type": "boolean", "description": "true: more appeals match than counted; pages past the cap are 404"}
        return schema


def _claim_idempotency_key(user: Any, key: str) -> IdempotencyKey:
    """The row of ``(user, key)``, held by this transaction: inserted now (one statement for a
    new key), or the first request's, read once that request has finished (the insert waits for
    it on the unique index; a refused first request deleted its row, and this one takes over)."""
    table = connection.ops.quote_name(IdempotencyKey._meta.db_table)
    while True:
        created_at = timezone.now()
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {table} (user_id, key, created_at) VALUES (%s, %s, %s) "  # noqa: S608
                           "ON CONFLICT (user_id, key) DO NOTHING RETURNING id", [user.pk, key, created_at])
            inserted = cursor.fetchone()
        if inserted is not None:
            return IdempotencyKey(pk=inserted[0], user=user, key=key, created_at=created_at)
        record = IdempotencyKey.objects.select_for_update().filter(user=user, key=key).first()
        if record is not None:
            return record


def _photo_prefetch() -> Prefetch[Any]:
    return Prefetch("photos", queryset=AppealPhoto.objects.exclude(public_copy=""))


class AppealViewSet(AppealLifecycleMixin, viewsets.GenericViewSet[Appeal]):
    permission_classes = [permissions.AllowAny]
    filter_backends = [DjangoFilterBackend]
    filterset_class = AppealFilter
    pagination_class = AppealPagination
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def _scope(self) -> str:
        return self.request.query_params.get("scope", "public")

    def get_queryset(self) -> QuerySet[Appeal]:
        base = Appeal.objects.select_related("category", "district", "responsible_agency",
                                             "author__profile").prefetch_related(_photo_prefetch())
        scope = self._scope()
        user = self.request.user
        if scope == "mine":
            if not user.is_authenticated:
                raise PermissionDenied(_("Войдите, чтобы увидеть свои обращения."))
            return base.filter(author=user).select_related("executor")
        if scope == "work":
            if not is_staff_user(user):
                raise PermissionDenied(_("Очередь доступна только сотрудникам."))
            return base.filter(pk__in=Appeal.objects.visible_to(user).values("pk")).select_related("executor")
        return base.public()

    def get_serializer_class(self) -> Any:
        return AppealPublicSerializer if self._scope() == "public" else AppealFullSerializer

    @extend_schema(parameters=[OpenApiParameter("scope", str, enum=["public", "mine", "work"],
                                                description="mine: signed-in users; work: staff")])
    def list(self, request: Request) -> Response:
        """Anyone: public appeals as a GeoJSON FeatureCollection (filters: bbox, district,
        category, status, agency, received_after/before, overdue); ``scope=mine`` — the
        signed-in user's own, ``scope=work`` — staff's visible appeals in full."""
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        serializer = self.get_serializer_class()(page, many=True, context={"now": timezone.now(),
                                                                           "request": request})
        return self.get_paginated_response(serializer.data)

    @extend_schema(responses={200: docs.APPEAL_ANY}, examples=[docs.APPEAL_EXAMPLE])
    def retrieve(self, request: Request, pk: int) -> Response:
        """Anyone for a public appeal (public view); the author and competent staff in full."""
        appeal, full = access_appeal(request.user, pk)
        serializer = (AppealFullSerializer if full else AppealPublicSerializer)(appeal, context={"request": request})
        return Response(serializer.data)

    @extend_schema(request={"application/json": AppealCreateSerializer,
                            "multipart/form-data": AppealCreateSerializer},
                   responses={201: AppealFullSerializer}, parameters=[docs.IDEMPOTENCY_KEY],
                   examples=[docs.CREATE_EXAMPLE, docs.APPEAL_EXAMPLE])
    def create(self, request: Request) -> Response:
        """Signed-in users. Citizens file from the web or phone (a point is required);
        operators register phone, e-mail, paper and social-network appeals for citizens.
        An ``Idempotency-Key`` header makes retries return the first result."""
        if not request.user.is_authenticated:
            return Response({"detail": _("Войдите, чтобы подать обращение.")}, status=status.HTTP_401_UNAUTHORIZED)
        key = request.headers.get("Idempotency-Key", "").strip()
        if len(key) > 100:
            return Response({"Idempotency-Key": [_("Не длиннее 100 символов.")]}, status=400)
        # The appeal's number is taken by the write's last statement (actions.numbering): the
        # answer and its idempotency record are built with a placeholder, replaced in the record by
        # that statement and in the answer after the commit.
        with numbered_last() as numbering:
            if not key:
                response = self._create(request)
            else:
                record = _claim_idempotency_key(request.user, key)
                if record.response_status is not None:
                    return Response(record.response_body, status=record.response_status,
                                    headers={"Idempotent-Replayed": "true"})
                response = self._create(request)
                if response.status_code == status.HTTP_201_CREATED:
                    record.response_status = response.status_code
                    record.response_body = response.data
                    record.appeal_id = response.data.get("id")
                    record.save(update_fields=["response_status", "response_body", "appeal"])
                    if numbering is not None:
                        numbering.patch_json(IdempotencyKey, record.pk, "response_body")
                else:
                    # A refused request wrote nothing: its retry (corrected, perhaps) is judged afresh.
                    record.delete()
        if numbering is not None:
            numbering.fill(response.data)
        return response

    def _create(self, request: Request) -> Response:
        payload = AppealCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        user: Any = request.user
        staff_channel = data["channel"] not in CITIZEN_CHANNELS
        if staff_channel and user.role not in (Role.OPERATOR, Role.ADMIN) and not user.is_superuser:
            raise PermissionDenied(_("Только оператор регистрирует обращения по телефону, почте и на бумаге."))
        photos = request.FILES.getlist("photos") if hasattr(request, "FILES") else []
        author_name = data["author_name"] if staff_channel else ""
        author_contact = data["author_contact"] if staff_channel else ""
        # every field error at once: the photos (decoded) and the appeal's own invariants
        errors: dict[str, list[str]] = {}
        checked = []
        if len(photos) > settings.APPEAL_MAX_PHOTOS:
            errors["photos"] = [_("Не более {count} фотографий.").format(count=settings.APPEAL_MAX_PHOTOS)]
        else:
            for upload in photos:
                try:
                    checked.append((upload, validate_photo(upload)))
                except DjangoValidationError as exc:
                    errors.setdefault("photos", []).extend(exc.messages)
        pin = Point(data["lon"], data["lat"], srid=4326) if data.get("lat") is not None else None
        anonymous = actions.is_anonymous(None if staff_channel else user, author_name, author_contact)
        if errors:  # the photos' errors with those of the appeal itself, all at once
            location, _source = actions.initial_location(pin, checked)
            try:
                actions.validate_submission(
                    channel=data["channel"], category=data["category"], text=data["text"], location=location,
                    address=data["address"], photo_count=len(photos), anonymous=anonymous)
            except DjangoValidationError as exc:
                for field, messages in exc.message_dict.items():
                    known = errors.setdefault(field, [])
                    known.extend(m for m in messages if m not in known)
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        try:  # the action validates (once) before it writes anything
            appeal = actions.submit_appeal(
                author=None if staff_channel else user,
                actor=user,
                channel=data["channel"],
                category=data["category"],
                text=data["text"],
                location=pin,
                address=data["address"],
                kind=data["kind"],
                appeal_type=data["appeal_type"],
                photos=checked,
                attachments=request.FILES.getlist("attachments") if staff_channel else [],
                text_is_private=data["text_is_private"],
                author_name=author_name,
                author_contact=author_contact,
            )
        except DjangoValidationError as exc:
            return Response(exc.message_dict, status=status.HTTP_400_BAD_REQUEST)
        # The action's own instance carries its category, district and agency: no second read.
        return Response(AppealFullSerializer(appeal, context={"request": request}).data, status=201)


    @extend_schema(responses={200: docs.EVENTS_ANY})
    @action(detail=True, methods=["get"], pagination_class=None)
    def events(self, request: Request, pk: int) -> Response:
        """Anyone who can see the appeal: its timeline (full for the author and staff)."""
        appeal, full = access_appeal(request.user, pk)
        events = appeal.events.all() if full and is_staff_user(request.user) else appeal.events.filter(is_public=True)
        serializer = EventSerializer if full else PublicEventSerializer
        return Response(serializer(events, many=True).data)

    @extend_schema(methods=["GET"], request=None, responses={200: MessageSerializer(many=True)})
    @extend_schema(methods=["POST"], request=MessageSerializer, responses={201: MessageSerializer})
    @action(detail=True, methods=["get", "post"], serializer_class=MessageSerializer, pagination_class=None)
    def messages(self, request: Request, pk: int) -> Response:
        """GET: public messages for anyone who sees the appeal; private ones for the author
        and staff; internal notes for staff. POST: the author and the responsible staff."""
        appeal, full = access_appeal(request.user, pk)
        if request.method == "POST":
            if not request.user.is_authenticated:
                return Response({"detail": _("Требуется вход.")}, status=status.HTTP_401_UNAUTHORIZED)
            serializer = MessageSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            message = actions.post_message(appeal, actor=request.user, text=serializer.validated_data["text"],
                                           visibility=serializer.validated_data.get("visibility",
                                                                                    Visibility.PRIVATE))
            return Response(MessageSerializer(message).data, status=201)
        visible = [Visibility.PUBLIC]
        if full:
            visible.append(Visibility.PRIVATE)
            user: Any = request.user
            if can_transition(user, appeal, "note") or user.role == Role.LEADER:
                visible.append(Visibility.INTERNAL)
        messages = Message.objects.filter(appeal=appeal, visibility__in=visible).select_related(
            "appeal__author__profile")
        return Response(MessageSerializer(messages, many=True, context={"public": not full}).data)

    @extend_schema(parameters=[OpenApiParameter("lat", float, required=True),
                               OpenApiParameter("lon", float, required=True),
                               OpenApiParameter("category", int, required=True)],
                   responses={200: AppealPublicSerializer(many=True)}, examples=[docs.NEARBY_EXAMPLE])
    @action(detail=False, methods=["get"], pagination_class=None)
    def nearby(self, request: Request) -> Response:
        """Anyone: open public appeals of the category near a point from the last 60 days,
        offered before filing a duplicate."""
        try:
            lat = float(request.query_params["lat"])
            lon = float(request.query_params["lon"])
            category = Category.objects.get(pk=int(request.query_params["category"]))
        except (KeyError, ValueError):
            return Response({"detail": _("Нужны lat, lon и category.")}, status=400)
        except Category.DoesNotExist:
            return Response({"category": [_("Неизвестная категория.")]}, status=400)
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            return Response({"lat": [_("Координаты вне диапазона.")]}, status=400)
        point = Point(lon, lat, srid=4326)
        since = timezone.now() - dt.timedelta(days=settings.APPEAL_DUPLICATE_WINDOW_DAYS)
        radius = category.duplicate_radius_m
        # an index-friendly box in degrees first, then the exact distance on the spheroid
        degrees = radius / (111_320 * max(math.cos(math.radians(lat)), 0.01))
        queryset = (Appeal.objects.public().filter(status__in=OPEN_STATUSES, category=category,
                                                   received_at__gte=since, location__dwithin=(point, degrees),
                                                   location__distance_lte=(point, D(m=radius)))
                    .select_related("category", "district", "responsible_agency", "author__profile")
                    .prefetch_related(_photo_prefetch())[:20])
        return Response(AppealPublicSerializer(queryset, many=True, context={"request": request}).data)


