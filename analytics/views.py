"""Pages of the analytics app (``/stats/...``). Who may open them:

- /stats/ (public statistics of the information center), /stats/pivot/, /stats/agencies/:
  anyone; the public sees figures over public appeals, staff over all appeals;
- /stats/leadership/ and its report download: leaders and administrators."""
from __future__ import annotations

from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils import timezone

from .access import is_leader
from .params import current_period, parse_period
from .report import build_report


def _leader_only(request: HttpRequest) -> HttpResponse | None:
    user: Any = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not is_leader(user):
        return HttpResponse("Доступно руководству и администраторам.", status=403)
    return None


def leadership_report(request: HttpRequest) -> HttpResponse:
    """Leaders and administrators: download the self-contained report for ``period``."""
    denied = _leader_only(request)
    if denied is not None:
        return denied
    raw = request.GET.get("period", "")
    try:
        period = parse_period(raw) if raw else current_period(timezone.now())
    except ValueError as exc:
        return HttpResponseBadRequest(str(exc))
    response = HttpResponse(build_report(period), content_type="text/html; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="leadership-report-{period.code}.html"'
    return response
