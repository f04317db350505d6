"""Reading a GeoReport v2 POST into a ``ServiceRequest``, every problem reported at once in the
spec's error list, and the parameters of ``GET requests``."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator, validate_email
from django.http import HttpRequest, QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext

from geoportal.converters import query_id
from issues.models import Appeal, Category
from issues.photos import validate_photo

from .actions import ServiceRequest
from .models import CategoryAttribute, Datatype

DEFAULT_WINDOW = dt.timedelta(days=90)
MAX_REQUESTS = 1000

# our field names (issues.actions.validate_submission) -> the Open311 parameter a client sent
PARAMETER_OF_FIELD = {"text": "description", "location": "lat/long", "address": "address_string",
                      "photos": "media", "category": "service_code"}
LIMITS = {"first_name": 100, "last_name": 100, "email": 150, "phone": 50, "device_id": 100, "account_id": 100,
          "address_string": 500, "address_id": 100, "media_url": 2000}


class Open311Error(Exception):
    """One or more errors in the spec's format, with the HTTP status they share."""

    def __init__(self, status: int, descriptions: list[str]) -> None:
        super().__init__("; ".join(descriptions))
        self.status = status
        self.descriptions = descriptions


def leaf_services() -> Any:
    """Our GeoReport services: the active categories that have no sub-categories."""
    return Category.objects.filter(is_active=True, children__isnull=True).select_related("parent").order_by("code")


def errors_of(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [f"{PARAMETER_OF_FIELD.get(name, name)}: {' '.join(messages)}"
                for name, messages in exc.message_dict.items()]
    return list(exc.messages)


def _number(raw: str) -> float | None:
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        return None
    return float(value) if value.is_finite() else None


def known_address_point(address: str) -> Point | None:
    """The point of an address the portal already knows from a public appeal (the portal has no
    geocoder of its own and no network one: an address never reported before cannot be placed)."""
    normalized = re.sub(r"\s+", " ", address).strip()
    if not normalized:
        return None
    return (Appeal.objects.public().filter(address__iexact=normalized, location__isnull=False)
            .order_by("-received_at").values_list("location", flat=True).first())


def _location(data: QueryDict, photos: list[tuple[UploadedFile, tuple[float, float] | None]],
              problems: list[str]) -> tuple[Point | None, str]:
    lat_raw, long_raw = data.get("lat", "").strip(), data.get("long", "").strip()
    if lat_raw or long_raw:
        lat, lon = _number(lat_raw), _number(long_raw)
        if lat is None or lon is None:
            problems.append(gettext("lat и long — числа в градусах WGS84, передаются вместе."))
            return None, ""
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            problems.append(gettext("lat/long вне допустимого диапазона (-90..90, -180..180)."))
            return None, ""
        return Point(lon, lat, srid=4326), "lat_long"
    if any(gps for _upload, gps in photos):
        return None, "photo_gps"  # submit_appeal takes the first photo's GPS position
    address = data.get("address_string", "").strip()
    if address:
        point = known_address_point(address)
        if point is None:
            problems.append(gettext("address_string: адрес не найден среди известных порталу; передайте lat и long."))
        return point, "address_book"
    if data.get("address_id", "").strip():
        problems.append(gettext("address_id: у портала нет адресного реестра; передайте lat и long или "
                                 "address_string."))
        return None, ""
    problems.append(gettext("Нужно место: lat и long, address_string или address_id."))
    return None, ""


def _attribute(attribute: CategoryAttribute, values: list[str], problems: list[str]) -> Any:
    name = f"attribute[{attribute.code}]"
    if attribute.datatype != Datatype.MULTI and len(values) > 1:
        problems.append(gettext("{name}: ожидается одно значение.").format(name=name))
        return None
    first = values[0].strip()
    if attribute.datatype == Datatype.NUMBER:
        number = _number(first)
        if number is None:
            problems.append(gettext("{name}: должно быть числом.").format(name=name))
        return number
    if attribute.datatype == Datatype.DATETIME:
        try:
            moment = parse_datetime(first)
        except ValueError:
            moment = None
        if moment is None:
            problems.append(gettext("{name}: дата и время в формате ISO 8601 (w3c).").format(name=name))
            return None
        return (moment if timezone.is_aware(moment) else timezone.make_aware(moment)).isoformat()
    if attribute.is_list:
        allowed = attribute.allowed_keys()
        chosen = [v.strip() for v in values]
        if not set(chosen) <= allowed:
            options = ", ".join(sorted(allowed))
            problems.append(gettext("{name}: допустимы значения {values}.").format(name=name, values=options))
        return chosen if attribute.datatype == Datatype.MULTI else chosen[0]
    limit = 4000 if attribute.datatype == Datatype.TEXT else 1000
    if len(first) > limit:
        problems.append(gettext("{name}: не длиннее {limit} символов.").format(name=name, limit=limit))
    return first


def _attributes(data: QueryDict, category: Category, problems: list[str]) -> dict[str, Any]:
    attributes = {a.code: a for a in CategoryAttribute.objects.filter(category=category)}
    sent: dict[str, list[str]] = {}
    for name in data:
        match = re.fullmatch(r"attribute\[([^\]]+)\](\[\])?", name)
        if match:
            sent.setdefault(match.group(1), []).extend(v for v in data.getlist(name) if v.strip())
    answers: dict[str, Any] = {}
    for code in sorted(set(sent) - set(attributes)):
        problems.append(gettext("attribute[{code}]: у услуги {service} нет такого вопроса.").format(
            code=code, service=category.code))
    for code, attribute in attributes.items():
        values = sent.get(code, [])
        if not values:
            if attribute.required:
                problems.append(gettext("attribute[{code}]: обязательный вопрос «{question}».").format(
                    code=code, question=attribute.description))
            continue
        answers[code] = _attribute(attribute, values, problems)
    return answers


def parse_service_request(request: HttpRequest) -> ServiceRequest:
    """The POST as a ``ServiceRequest``, or ``Open311Error`` (400) listing every problem."""
    data = request.POST
    code = data.get("service_code", "").strip()
    category = leaf_services().filter(code=code).first() if code else None
    if category is None:
        raise Open311Error(400, [gettext("service_code: неизвестная услуга {code}.").format(code=repr(code)) if code
                                else gettext("Нужен service_code.")])
    problems: list[str] = []
    for name, limit in LIMITS.items():
        if len(data.get(name, "")) > limit:
            problems.append(gettext("{name}: не длиннее {limit} символов.").format(name=name, limit=limit))
    email = data.get("email", "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            problems.append(gettext("email: неверный адрес электронной почты."))
    media_url = data.get("media_url", "").strip()
    if media_url:
        try:
            URLValidator(schemes=["http", "https"])(media_url)
        except ValidationError:
            problems.append(gettext("media_url: нужен адрес http(s)."))
    photos: list[tuple[UploadedFile, tuple[float, float] | None]] = []
    uploads = request.FILES.getlist("media")
    if len(uploads) > settings.APPEAL_MAX_PHOTOS:
        problems.append(gettext("media: не более {count} фотографий.").format(count=settings.APPEAL_MAX_PHOTOS))
    else:
        for upload in uploads:
            try:
                photos.append((upload, validate_photo(upload)))
            except ValidationError as exc:
                problems.append(f"media: {' '.join(exc.messages)}")
    location, location_from = _location(data, photos, problems)
    attributes = _attributes(data, category, problems)
    if problems:
        raise Open311Error(400, problems)
    return ServiceRequest(
        category=category, description=data.get("description", ""), location=location,
        location_from=location_from, address=data.get("address_string", "").strip(),
        address_id=data.get("address_id", "").strip(), photos=photos, attributes=attributes, media_url=media_url,
        first_name=data.get("first_name", ""), last_name=data.get("last_name", ""), email=email,
        phone=data.get("phone", ""), device_id=data.get("device_id", "").strip(),
        account_id=data.get("account_id", "").strip())


@dataclass
class RequestQuery:
    """The filters of ``GET requests``: explicit ids, or a window with codes, status and a page."""

    ids: list[int]
    start: dt.datetime
    end: dt.datetime
    service_codes: list[str]
    statuses: set[str]
    page: int
    page_size: int


def _moment(name: str, raw: str, *, end_of_day: bool) -> dt.datetime:
    try:  # parse_* return None for a wrong shape and raise ValueError for a wrong date (2026-13-01)
        moment = parse_datetime(raw)
        day = parse_date(raw) if moment is None else None
    except ValueError:
        moment = day = None
    if moment is None:
        if day is None:
            raise Open311Error(400, [gettext("{name}: дата или дата и время ISO 8601 (w3c), например "
                                      "2026-01-31T00:00:00Z.").format(name=name)])
        moment = dt.datetime.combine(day, dt.time.max if end_of_day else dt.time.min)
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def _split(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def parse_request_query(params: QueryDict, now: dt.datetime) -> RequestQuery:
    ids_raw = _split(params.get("service_request_id", ""))
    ids = [query_id(i) for i in ids_raw]
    if None in ids:
        raise Open311Error(400, [gettext("service_request_id: номера через запятую.")])
    if ids:  # the spec: with service_request_id every other parameter is ignored
        return RequestQuery(ids=[i for i in ids if i is not None], start=now, end=now, service_codes=[], statuses=set(),
                            page=1, page_size=MAX_REQUESTS)
    try:
        page = int(params.get("page", "1"))
        page_size = int(params.get("page_size", str(MAX_REQUESTS)))
    except ValueError:
        raise Open311Error(400, [gettext("page и page_size — целые числа.")])
    if page < 1 or not 1 <= page_size <= MAX_REQUESTS:
        raise Open311Error(400, [gettext("page от 1, page_size от 1 до {max}.").format(max=MAX_REQUESTS)])
    start_raw, end_raw = params.get("start_date", "").strip(), params.get("end_date", "").strip()
    start = _moment("start_date", start_raw, end_of_day=False) if start_raw else None
    end = _moment("end_date", end_raw, end_of_day=True) if end_raw else None
    if start and end:
        if end < start:
            raise Open311Error(400, [gettext("end_date раньше start_date.")])
        if end - start > DEFAULT_WINDOW:
            raise Open311Error(400, [gettext("start_date и end_date должны отстоять не более чем на 90 дней.")])
    # the spec's default: the most recent 90 days (or 90 days from/to the one date given)
    end = end or (start + DEFAULT_WINDOW if start else now)
    start = start or end - DEFAULT_WINDOW
    statuses = {s.lower() for s in _split(params.get("status", ""))}
    if not statuses <= {"open", "closed"}:
        raise Open311Error(400, [gettext("status: open, closed или оба через запятую.")])
    return RequestQuery(ids=[], start=start, end=end,
                        service_codes=_split(params.get("service_code", "")), statuses=statuses, page=page,
                        page_size=page_size)
