"""Open311 GeoReport v2 at /open311/v2/ (XML, which the spec requires, and JSON, by the
``.xml`` / ``.json`` suffix).

Who may call what: the reads (discovery, services, service definitions, requests, tokens) are
public and limited per client IP (or per API key when one is given); POST requests needs a
valid, unrevoked API key of an active owner (``X-Api-Key`` header or the form body; never the
query string) and counts against that key's limit. Requests are filed through
``open311.actions.submit_service_request``, which goes through the appeals app's
``submit_appeal`` like the web form."""
from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from geoportal.converters import query_id
from issues.models import OPEN_STATUSES, Status

from .actions import submit_service_request
from .feed import feed, request_row
from .inputs import Open311Error, errors_of, leaf_services, parse_request_query, parse_service_request
from .models import ApiKey, CategoryAttribute, Open311Request
from .ratelimit import client_ip, hit
from .render import error, errors, render

FORMATS = ("json", "xml")
SPEC_URL = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-29T00:00:00+03:00"


def _api_key(request: HttpRequest) -> tuple[str, ApiKey | None]:
    """The key from the ``X-Api-Key`` header or, on a POST, the form body's ``api_key`` (where
    GeoReport v2 clients send it). Never from the query string: URLs end up in access logs,
    proxies' logs and Referer headers. Keys are valid here only (the /api/v1 API ignores them)."""
    raw = request.headers.get("X-Api-Key") or (request.POST.get("api_key") if request.method == "POST" else "") or ""
    key = ApiKey.objects.find(raw) if raw else None
    return raw, key if key is not None and key.owner.is_active else None


def _guard(request: HttpRequest, fmt: str, key: ApiKey | None = None) -> HttpResponse | None:
    """Format, jurisdiction and rate limit (the key's, else the client IP's): what every
    endpoint checks first."""
    if fmt not in FORMATS:
        return error("xml", 404, gettext("Неизвестный формат {fmt}: используйте .xml или .json.").format(fmt=repr(fmt)))
    jurisdiction = (request.GET.get("jurisdiction_id") or request.POST.get("jurisdiction_id") or "").strip()
    if jurisdiction not in ("", settings.OPEN311_JURISDICTION_ID):  # empty is as good as absent
        return error(fmt, 404, gettext("Неизвестный jurisdiction_id {jurisdiction}.").format(
            jurisdiction=repr(jurisdiction)))
    if key is not None:
        wait = hit(f"key:{key.pk}", key.rate_limit_per_minute)
    else:
        wait = hit(f"ip:{client_ip(request)}", settings.OPEN311_ANON_RATE_PER_MINUTE)
    if wait is not None:
        return error(fmt, 429, gettext("Слишком много запросов; повторите позже."), {"Retry-After": str(wait)})
    return None


@require_safe
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    if (blocked := _guard(request, fmt, _api_key(request)[1])) is not None:
        return blocked
    return render({
        "changeset": CHANGESET,
        "contact": settings.OPEN311_CONTACT,
        "key_service": gettext("API-ключи для подачи заявок выдаёт администратор портала."),
        "endpoints": [{"specification": SPEC_URL, "url": request.build_absolute_uri("/open311/v2/"),
                       "changeset": CHANGESET, "type": "production", "formats": ["text/xml", "application/json"]}],
    }, fmt, "discovery")


@require_safe
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    if (blocked := _guard(request, fmt, _api_key(request)[1])) is not None:
        return blocked
    with_attributes = set(CategoryAttribute.objects.values_list("category_id", flat=True))
    return render([{
        "service_code": c.code,
        "service_name": c.name,
        "description": str(c),
        "metadata": c.pk in with_attributes,
        "type": "realtime",
        "keywords": ", ".join(filter(None, [c.name_en, c.parent.name if c.parent else "", c.classifier_code])),
        "group": c.parent.name if c.parent else c.name,
    } for c in leaf_services()], fmt, "services")


@require_safe
def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    if (blocked := _guard(request, fmt, _api_key(request)[1])) is not None:
        return blocked
    category = leaf_services().filter(code=code).first()
    if category is None:
        return error(fmt, 404, gettext("service_code: неизвестная услуга {code}.").format(code=repr(code)))
    attributes = [{
        "variable": True, "code": a.code, "datatype": a.datatype, "required": a.required,
        "datatype_description": a.datatype_description or None, "order": a.order, "description": a.description,
        "values": [{"key": str(v["key"]), "name": str(v["name"])} for v in a.values],
    } for a in CategoryAttribute.objects.filter(category=category).order_by("order", "pk")]
    return render({"service_code": category.code, "attributes": attributes}, fmt, "service_definition")


@csrf_exempt  # clients authenticate with an API key, not a session cookie
def requests_view(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create(request, fmt)
    if request.method not in ("GET", "HEAD"):
        response = error(fmt if fmt in FORMATS else "xml", 405, gettext("Метод не поддерживается."))
        response["Allow"] = "GET, POST"
        return response
    _raw, key = _api_key(request)
    if (blocked := _guard(request, fmt, key)) is not None:
        return blocked
    try:
        query = parse_request_query(request.GET, timezone.now())
    except Open311Error as exc:
        return errors(fmt, exc.status, exc.descriptions)
    appeals = feed(key)
    if query.ids:
        return render([request_row(request, a) for a in appeals.filter(pk__in=query.ids).order_by("-received_at")],
                      fmt, "service_requests")
    appeals = appeals.filter(received_at__gte=query.start, received_at__lte=query.end)
    if query.service_codes:
        appeals = appeals.filter(category__code__in=query.service_codes)
    if query.statuses == {"open"}:
        appeals = appeals.filter(status__in=OPEN_STATUSES)
    elif query.statuses == {"closed"}:
        appeals = appeals.exclude(status__in=OPEN_STATUSES)
    first = (query.page - 1) * query.page_size
    page = appeals.order_by("-received_at", "-pk")[first:first + query.page_size]
    return render([request_row(request, a) for a in page], fmt, "service_requests")


@require_safe
def request_detail(request: HttpRequest, request_id: str, fmt: str) -> HttpResponse:
    _raw, key = _api_key(request)
    if (blocked := _guard(request, fmt, key)) is not None:
        return blocked
    appeal = feed(key).filter(pk=pk).first() if (pk := query_id(request_id)) is not None else None
    if appeal is None:
        return error(fmt, 404, gettext("Нет обращения с service_request_id {id}.").format(id=repr(request_id)))
    return render([request_row(request, appeal)], fmt, "service_requests")


@require_safe
def token_view(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    """The service_request_id behind a token once an operator has registered the appeal (or
    moderation closed it); until then the id is empty, as the spec describes."""
    if (blocked := _guard(request, fmt, _api_key(request)[1])) is not None:
        return blocked
    try:
        record = Open311Request.objects.select_related("appeal").filter(token=token).first()
    except ValidationError:  # not a UUID
        record = None
    if record is None:
        return error(fmt, 404, gettext("Неизвестный token."))
    decided = record.appeal.status != Status.SUBMITTED
    row: dict[str, Any] = {"service_request_id": str(record.appeal_id) if decided else None, "token": str(token)}
    return render([row], fmt, "service_requests")


def _create(request: HttpRequest, fmt: str) -> HttpResponse:
    raw, key = _api_key(request)
    if (blocked := _guard(request, fmt, key)) is not None:  # without a key: the client IP's limit
        return blocked
    if key is None:
        if raw:
            return error(fmt, 403, gettext("api_key: неверный или отозванный ключ."))
        if request.GET.get("api_key"):
            return error(fmt, 403, gettext(
                "api_key в адресе не принимается: передайте его в заголовке X-Api-Key или в теле запроса."))
        return error(fmt, 403, gettext("Нужен api_key."))
    try:
        record = submit_service_request(parse_service_request(request), key=key)
    except Open311Error as exc:
        return errors(fmt, exc.status, exc.descriptions)
    except ValidationError as exc:
        return errors(fmt, 400, errors_of(exc))
    notice = gettext("Обращение № {number} принято, ожидает регистрации оператором.").format(
        number=record.appeal.number)
    return render([{"token": str(record.token), "service_notice": notice,
                    "account_id": record.account_id or None}], fmt, "service_requests")
