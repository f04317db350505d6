"""Open311 GeoReport v2 at /open311/v2/ (XML and JSON by the format suffix).

Who may call what: the reads (discovery, services, requests, tokens) are public and rate
limited per client IP (or per API key when one is given); POST requests needs a valid,
unrevoked API key (form body or query string) and counts against that key's limit.
Requests are created through ``issues.actions.submit_appeal`` like the web form; the
requester's name and contacts go to the appeal's staff-only fields and never into a GET."""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt

from issues import actions
from issues.models import OPEN_STATUSES, Appeal, AppealEvent, Category, Channel, Status
from issues.photos import validate_photo

from .models import ApiKey, CategoryAttribute, Datatype, Open311Request
from .ratelimit import client_ip, hit
from .render import error, render

DEFAULT_WINDOW = dt.timedelta(days=90)
MAX_REQUESTS = 1000
FORMATS = ("json", "xml")


def _limited(request: HttpRequest, fmt: str, key: ApiKey | None) -> HttpResponse | None:
    if key is not None:
        wait = hit(f"key:{key.pk}", key.rate_limit_per_minute)
    else:
        wait = hit(f"ip:{client_ip(request)}", settings.OPEN311_ANON_RATE_PER_MINUTE)
    if wait is not None:
        return error(fmt, 429, "Слишком много запросов; повторите позже.", {"Retry-After": str(wait)})
    return None


def _api_key(request: HttpRequest) -> tuple[str, ApiKey | None]:
    raw = request.POST.get("api_key") or request.GET.get("api_key") or ""
    return raw, ApiKey.objects.find(raw)


def _jurisdiction_ok(request: HttpRequest) -> bool:
    value = (request.GET.get("jurisdiction_id") or request.POST.get("jurisdiction_id") or "").strip()
    return value in ("", settings.OPEN311_JURISDICTION_ID)


def _guard(request: HttpRequest, fmt: str) -> HttpResponse | None:
    if fmt not in FORMATS:
        return error("xml", 404, f"Неизвестный формат {fmt!r}: используйте .xml или .json")
    if not _jurisdiction_ok(request):
        return error(fmt, 404, "Неизвестный jurisdiction_id.")
    _raw, key = _api_key(request)
    return _limited(request, fmt, key)


def _iso(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def _leaf_categories() -> Any:
    return Category.objects.filter(is_active=True, children__isnull=True).select_related("parent").order_by("code")


def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    if (blocked := _guard(request, fmt)) is not None:
        return blocked
    base = request.build_absolute_uri("/open311/v2/")
    return render({
        "changeset": "2026-11-28T00:00:00+03:00",
        "contact": settings.OPEN311_CONTACT,
        "key_service": "Ключи выдаёт администратор портала.",
        "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2", "url": base,
                       "changeset": "2026-11-28T00:00:00+03:00", "type": "production",
                       "formats": ["text/xml", "application/json"]}],
    }, fmt, "discovery")


def services(request: HttpRequest, fmt: str) -> HttpResponse:
    if (blocked := _guard(request, fmt)) is not None:
        return blocked
    with_attributes = set(CategoryAttribute.objects.values_list("category_id", flat=True))
    data = [{
        "service_code": c.code, "service_name": c.name, "description": str(c),
        "metadata": c.pk in with_attributes, "type": "realtime",
        "keywords": ", ".join(filter(None, [c.name_en, c.parent.name if c.parent else ""])),
        "group": c.parent.name if c.parent else "",
    } for c in _leaf_categories()]
    return render(data, fmt, "services")


def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    if (blocked := _guard(request, fmt)) is not None:
        return blocked
    category = _leaf_categories().filter(code=code).first()
    if category is None:
        return error(fmt, 404, f"Неизвестный service_code {code!r}.")
    attributes = [{
        "variable": True, "code": a.code, "datatype": a.datatype, "required": a.required,
        "datatype_description": a.datatype_description, "order": a.order, "description": a.description,
        "values": [{"key": v.get("key"), "name": v.get("name")} for v in a.values],
    } for a in CategoryAttribute.objects.filter(category=category)]
    return render({"service_code": category.code, "attributes": attributes}, fmt, "service_definition")


def _status(appeal: Appeal) -> tuple[str, str]:
    if appeal.status in OPEN_STATUSES:
        notes = f"Срок ответа: {timezone.localtime(appeal.deadline_at):%d.%m.%Y}" if appeal.deadline_at else ""
        return "open", notes
    if appeal.status == Status.REJECTED:
        return "closed", f"Отклонено: {appeal.get_reject_reason_display()}"
    if appeal.status == Status.MERGED:
        return "closed", "Объединено с обращением по той же проблеме."
    return "closed", f"{appeal.get_result_display()}. {appeal.answer_text}".strip()


def _request_row(request: HttpRequest, appeal: Appeal, updated: dt.datetime | None) -> dict[str, Any]:
    status, notes = _status(appeal)
    photo = next((p for p in appeal.photos.all() if p.public_copy), None)
    return {
        "service_request_id": str(appeal.pk),
        "status": status,
        "status_notes": notes,
        "service_name": appeal.category.name,
        "service_code": appeal.category.code,
        "description": None if appeal.text_is_private else appeal.text,
        "agency_responsible": appeal.responsible_agency.name if appeal.responsible_agency else "",
        "service_notice": f"Обращение {appeal.number}",
        "requested_datetime": _iso(appeal.received_at),
        "updated_datetime": _iso(updated or appeal.received_at),
        "expected_datetime": _iso(appeal.deadline_at),
        "address": appeal.address,
        "address_id": "",
        "zipcode": "",
        "lat": round(appeal.location.y, 6) if appeal.location else None,
        "long": round(appeal.location.x, 6) if appeal.location else None,
        "media_url": request.build_absolute_uri(photo.public_copy.url) if photo else "",
    }


def _rows(request: HttpRequest, appeals: list[Appeal]) -> list[dict[str, Any]]:
    from django.db.models import Max

    updated = dict(AppealEvent.objects.filter(appeal__in=appeals).values("appeal_id")
                   .annotate(last=Max("created_at")).values_list("appeal_id", "last"))
    return [_request_row(request, a, updated.get(a.pk)) for a in appeals]


def _public_requests() -> Any:
    return (Appeal.objects.public().select_related("category", "responsible_agency")
            .prefetch_related("photos"))


@csrf_exempt
def requests_view(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create(request, fmt)
    if request.method != "GET":
        return error(fmt if fmt in FORMATS else "xml", 405, "Метод не поддерживается.")
    if (blocked := _guard(request, fmt)) is not None:
        return blocked
    queryset = _public_requests()
    ids = [i.strip() for i in request.GET.get("service_request_id", "").split(",") if i.strip()]
    if ids:
        if not all(i.isdigit() for i in ids):
            return error(fmt, 400, "service_request_id — список номеров через запятую.")
        appeals = list(queryset.filter(pk__in=ids).order_by("-received_at"))
        return render(_rows(request, appeals), fmt, "service_requests")
    now = timezone.now()
    start_raw, end_raw = request.GET.get("start_date"), request.GET.get("end_date")
    start = parse_datetime(start_raw) if start_raw else None
    end = parse_datetime(end_raw) if end_raw else None
    if (start_raw and start is None) or (end_raw and end is None):
        return error(fmt, 400, "start_date и end_date — в формате ISO 8601 (w3c).")
    start = start if start is None or timezone.is_aware(start) else timezone.make_aware(start)
    end = end if end is None or timezone.is_aware(end) else timezone.make_aware(end)
    if start and end and end - start > DEFAULT_WINDOW:
        return error(fmt, 400, "start_date и end_date должны отстоять не более чем на 90 дней.")
    if start and end and end < start:
        return error(fmt, 400, "end_date раньше start_date.")
    end = end or (start + DEFAULT_WINDOW if start else now)
    start = start or end - DEFAULT_WINDOW
    queryset = queryset.filter(received_at__gte=start, received_at__lte=end)
    codes = [c for c in request.GET.get("service_code", "").split(",") if c]
    if codes:
        queryset = queryset.filter(category__code__in=codes)
    status = request.GET.get("status", "")
    if status:
        wanted = {s.strip() for s in status.split(",")}
        if not wanted <= {"open", "closed"}:
            return error(fmt, 400, "status — open или closed.")
        if wanted == {"open"}:
            queryset = queryset.filter(status__in=OPEN_STATUSES)
        elif wanted == {"closed"}:
            queryset = queryset.exclude(status__in=OPEN_STATUSES)
    try:
        page = max(1, int(request.GET.get("page", "1")))
        page_size = min(MAX_REQUESTS, max(1, int(request.GET.get("page_size", str(MAX_REQUESTS)))))
    except ValueError:
        return error(fmt, 400, "page и page_size — целые числа.")
    appeals = list(queryset.order_by("-received_at", "-pk")[(page - 1) * page_size: page * page_size])
    return render(_rows(request, appeals), fmt, "service_requests")


def request_detail(request: HttpRequest, request_id: str, fmt: str) -> HttpResponse:
    if (blocked := _guard(request, fmt)) is not None:
        return blocked
    appeal = _public_requests().filter(pk=int(request_id)).first() if request_id.isdigit() else None
    if appeal is None:
        return error(fmt, 404, f"Нет обращения с service_request_id {request_id!r}.")
    return render(_rows(request, [appeal]), fmt, "service_requests")


def token_view(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    if (blocked := _guard(request, fmt)) is not None:
        return blocked
    try:
        record = Open311Request.objects.select_related("appeal").filter(token=token).first()
    except ValidationError:
        record = None
    if record is None:
        return error(fmt, 404, "Неизвестный token.")
    registered = record.appeal.status not in (Status.SUBMITTED,)
    return render([{"service_request_id": str(record.appeal_id) if registered else None, "token": str(token)}],
                  fmt, "service_requests")


def _attribute_values(request: HttpRequest, category: Category) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    problems = []
    for attribute in CategoryAttribute.objects.filter(category=category):
        values = request.POST.getlist(f"attribute[{attribute.code}]")
        if not values or values == [""]:
            if attribute.required:
                problems.append(f"attribute[{attribute.code}] обязателен")
            continue
        allowed = {str(v.get("key")) for v in attribute.values}
        if attribute.datatype == Datatype.NUMBER:
            try:
                answers[attribute.code] = float(values[0])
            except ValueError:
                problems.append(f"attribute[{attribute.code}] должен быть числом")
        elif attribute.datatype == Datatype.DATETIME:
            if parse_datetime(values[0]) is None:
                problems.append(f"attribute[{attribute.code}] — дата и время ISO 8601")
            answers[attribute.code] = values[0]
        elif attribute.datatype in (Datatype.SINGLE, Datatype.MULTI):
            chosen = values if attribute.datatype == Datatype.MULTI else values[:1]
            if not set(chosen) <= allowed:
                problems.append(f"attribute[{attribute.code}]: допустимы {', '.join(sorted(allowed))}")
            answers[attribute.code] = chosen if attribute.datatype == Datatype.MULTI else chosen[0]
        else:
            answers[attribute.code] = values[0][:1000]
    if problems:
        raise ValidationError("; ".join(problems))
    return answers


def _create(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in FORMATS:
        return error("xml", 404, f"Неизвестный формат {fmt!r}")
    if not _jurisdiction_ok(request):
        return error(fmt, 404, "Неизвестный jurisdiction_id.")
    raw, key = _api_key(request)
    if key is None:
        return error(fmt, 403, "Неверный или отсутствующий api_key." if raw else "Нужен api_key.")
    if (blocked := _limited(request, fmt, key)) is not None:
        return blocked
    data = request.POST
    category = _leaf_categories().filter(code=data.get("service_code", "")).first()
    if category is None:
        return error(fmt, 400, f"Неизвестный service_code {data.get('service_code', '')!r}.")
    try:
        lat = float(data["lat"]) if data.get("lat") else None
        lon = float(data["long"]) if data.get("long") else None
    except ValueError:
        return error(fmt, 400, "lat и long — числа в градусах WGS84.")
    if lat is None or lon is None:
        return error(fmt, 400, "Нужны lat и long: адрес без координат здесь не геокодируется.")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return error(fmt, 400, "lat/long вне допустимого диапазона.")
    photos: list[tuple[UploadedFile, tuple[float, float] | None]] = []
    media = request.FILES.get("media")
    if isinstance(media, UploadedFile):
        try:
            photos.append((media, validate_photo(media)))
        except ValidationError as exc:
            return error(fmt, 400, " ".join(exc.messages))
    name = " ".join(filter(None, [data.get("last_name", "").strip(), data.get("first_name", "").strip()]))
    contact = ", ".join(filter(None, [data.get("email", "").strip(), data.get("phone", "").strip()]))
    try:
        answers = _attribute_values(request, category)
        with transaction.atomic():
            appeal = actions.submit_appeal(
                author=None, actor=key.owner, channel=Channel.OPEN311, category=category,
                text=data.get("description", ""), location=Point(lon, lat, srid=4326),
                address=data.get("address_string", "")[:500], photos=photos, author_name=name,
                author_contact=contact)
            record = Open311Request.objects.create(
                appeal=appeal, api_key=key, attributes=answers, media_url=data.get("media_url", "")[:200],
                device_id=data.get("device_id", "")[:100], account_id=data.get("account_id", "")[:100])
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
    except ValidationError as exc:
        detail = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items()) \
            if hasattr(exc, "error_dict") else " ".join(exc.messages)
        return error(fmt, 400, detail)
    # Registration by an operator is deferred (the requester is not a signed-in citizen): a token.
    return render([{"token": str(record.token), "service_notice": f"Обращение {appeal.number} принято.",
                    "account_id": record.account_id or None}], fmt, "service_requests")
