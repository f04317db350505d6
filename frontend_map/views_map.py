"""Map pages. Who may open each:

- ``/map/`` public map of appeals — anyone (public appeals and public attributes only);
- ``/report/`` the citizen's report flow — signed-in users (59-FZ / 547-FZ: identified citizens);
- ``/appeals/<id>/`` an appeal — anyone for a public appeal (public view); the author and the
  competent staff in full (``issues.access.access_appeal``); others get 404;
- ``/my/`` my appeals — signed-in users, their own only;
- ``/queue/`` the agency queue map — executors and agency heads (others 403; ``doors``); heads also
  see their agencies' workload by executor and reassign by select;
- ``/leadership/`` heat map, choropleth, on-time share — leaders and administrators (others 403).

The pages are thin: data comes from the REST API and the tile/aggregate endpoints, writes go
through the API's actions."""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Count, F, Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError

from geoportal.models import Agency, District
from geoportal.roles import is_staff_member
from issues.access import access_appeal, can_support, public_answer, public_text
from issues.models import OPEN_STATUSES, PUBLIC_STATUSES, Appeal, AppealPhoto, Category, Result, Status
from projects.models import ProjectStatus
from tiles import conf as tiles_conf
from tiles.filters import parse_period
from tiles.projects_map import STAGES as MAP_STAGES

from .doors import may, require
from .workload import assignable_executors, executor_workload

EVENT_LABELS: dict[str, Any] = {
    "submit": _("Обращение поступило"),
    "register": _("Зарегистрировано"),
    "route": _("Направлено исполнителю"),
    "accept": _("Принято в работу"),
    "claim": _("Исполнитель взял обращение"),
    "assign": _("Назначен исполнитель"),
    "start": _("Начато рассмотрение"),
    "answer": _("Дан ответ"),
    "close": _("Закрыто"),
    "reopen": _("Возобновлено после оценки"),
    "redirect": _("Переадресовано по компетенции"),
    "extend": _("Срок рассмотрения продлён"),
    "reject": _("Отклонено модератором"),
    "merge": _("Объединено с другим обращением"),
    "rate": _("Заявитель оценил ответ"),
    "support": _("Житель поддержал обращение"),
    "moderate": _("Модерация"),
    "note": _("Служебная заметка"),
}
# Texts of the projects layer's popups and list (projects-layer.js), translated here.
PROJECT_TEXT: dict[str, Any] = {
    "progress": _("Выполнено"), "cost": _("Стоимость"), "district": _("Район"),
    "photos": _("Последние фото с объекта"), "photo": _("Фото с объекта"), "open": _("Страница проекта"),
    "m": _("м"), "km": _("км"), "loading": _("Загрузка…"), "locating": _("Определяем ваше местоположение…"),
    "failed": _("Не удалось загрузить проекты."), "none": _("Рядом нет проектов."),
    "fromYou": _("Ближайшие к вам, по расстоянию:"),
    "fromCentre": _("Местоположение недоступно — расстояния от центра карты:"),
    "youAreHere": _("Вы здесь"),
}
# Texts about an offline draft the server refused (report.js), translated here.
DRAFT_TEXT: dict[str, Any] = {
    "rejectedTitle": _("Сервер не принял черновик, сохранённый без сети"),
    "draftText": _("Текст черновика:"), "fix": _("Исправить и отправить"), "discard": _("Удалить черновик"),
    "discarded": _("Черновик удалён. Его текст, если он ещё нужен:"),
    "editing": _("Черновик перенесён в форму: исправьте отмеченное и отправьте снова."),
    "queuedRejected": _("Связь появилась, но сервер не принял обращение — причины показаны выше."),
    "unknown": _("Сервер отказал без объяснения причины."),
}
DRAFT_FIELDS: dict[str, Any] = {
    "category": _("Категория"), "text": _("Текст"), "photos": _("Фото"), "location": _("Место"), "lat": _("Место"),
    "lon": _("Место"), "address": _("Адрес"),
}


def _texts(texts: dict[str, Any]) -> dict[str, str]:
    return {key: str(value) for key, value in texts.items()}


PERIODS = [("30d", _("30 дней")), ("90d", _("90 дней")), ("365d", _("год")), ("", _("всё время"))]
OPEN_PUBLIC = ",".join(s for s in PUBLIC_STATUSES if s in OPEN_STATUSES)


def _category_tree() -> list[dict[str, Any]]:
    categories = sorted(Category.objects.filter(is_active=True), key=lambda c: c.label)
    return [{"id": parent.pk, "name": parent.label, "children": [
        {"id": c.pk, "code": c.code, "name": c.label, "photo_required": c.photo_required}
        for c in categories if c.parent_id == parent.pk]} for parent in categories if parent.parent_id is None]


def _status_choices() -> list[tuple[str, str]]:
    return [(OPEN_PUBLIC, str(_("все открытые")))] + [
        (str(s), str(Status(s).label)) for s in PUBLIC_STATUSES] + [("", str(_("все")))]


def _map_config(**extra: Any) -> dict[str, Any]:
    return {"clusterMaxZoom": tiles_conf.cluster_max_zoom(),
            "statusLabels": {str(s): str(Status(s).label) for s in Status}, **extra}


def public_map(request: HttpRequest) -> HttpResponse:
    """Anyone: clusters and points of public appeals with filters and viewport statistics, and
    the residents' initiative projects coloured by stage with a "projects near me" list."""
    return render(request, "frontend_map/map.html", {
        "categories": _category_tree(), "districts": District.objects.order_by("name").values("code", "name"),
        "statuses": _status_choices(), "periods": PERIODS, "period": "90d",
        "project_stages": [{"status": s, "label": ProjectStatus(s).label} for s in MAP_STAGES],
        "map_config": _map_config(projectText=_texts(PROJECT_TEXT)),
    })


@login_required
def report(request: HttpRequest) -> HttpResponse:
    """Signed-in users: pin, category, nearby appeals, text, photos, submit (or queue offline)."""
    return render(request, "frontend_map/report.html", {
        "categories": _category_tree(), "max_photos": settings.APPEAL_MAX_PHOTOS,
        "map_config": _map_config(fallbackCenter=list(settings.MAP_DEFAULT_CENTER),
                                  draftText=_texts(DRAFT_TEXT) | {"fields": _texts(DRAFT_FIELDS)}),
    })


def appeal_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Anyone for a public appeal; the author and competent staff see it in full."""
    appeal, full = access_appeal(request.user, pk)
    user: Any = request.user
    staff = full and is_staff_member(user)
    events = appeal.events.all() if staff else appeal.events.filter(is_public=True)
    all_photos = list(AppealPhoto.objects.filter(appeal=appeal))
    photos = [p for p in all_photos if p.public_copy]
    is_author = user.is_authenticated and appeal.author_id == user.pk
    return render(request, "frontend_map/appeal.html", {
        "appeal": appeal, "full": full, "is_author": is_author,
        "show_text": full or not appeal.text_is_private,
        # the public view shows only what issues.access lets out (the author's name, phone and
        # e-mail redacted even where a citizen typed them into the text or an answer greets them)
        "text": appeal.text if full else public_text(appeal),
        "answer_text": appeal.answer_text if full else public_answer(appeal),
        "timeline": [{"at": e.created_at, "label": EVENT_LABELS.get(e.kind, e.kind),
                      "reason": e.reason if staff else ""} for e in events],
        "problem_photos": [p for p in photos if p.kind == "problem"],
        "answer_photos": [p for p in photos if p.kind == "answer"],
        "pending_photos": len(all_photos) - len(photos),
        "sla": appeal.sla(),
        "can_rate": is_author and appeal.status == Status.ANSWERED,
        "can_support": can_support(user, appeal) and appeal.status in OPEN_STATUSES
        and appeal.status != Status.SUBMITTED,
        "point": [appeal.location.y, appeal.location.x] if appeal.location else None,
    })


@login_required
def my_appeals(request: HttpRequest) -> HttpResponse:
    """Signed-in users: their own appeals with status and deadline."""
    now = timezone.now()
    user: Any = request.user
    appeals = (Appeal.objects.filter(author=user).select_related("category", "responsible_agency")
               .order_by("-received_at")[:200])
    return render(request, "frontend_map/my_appeals.html", {
        "appeals": [{"appeal": a, "sla": a.sla(now)} for a in appeals]})


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """Executors and agency heads: their agencies' open appeals on a map and in a list. An
    operator's queue is the desk (an old bookmark or link leads there, not to a 403)."""
    if not may(request.user, "queue") and may(request.user, "desk"):
        return HttpResponseRedirect(reverse("desk"))
    require(request, "queue")
    user: Any = request.user
    headed = user.agency_ids("agency_head")
    may_redirect = user.is_superuser or bool(headed)
    return render(request, "frontend_map/queue.html", {
        "categories": _category_tree(),
        "results": [(str(v), str(label)) for v, label in Result.choices if v != Result.NO_ANSWER],
        "agencies": Agency.objects.filter(is_active=True).order_by("short_name").values("id", "short_name")
        if may_redirect else [],
        "may_redirect": may_redirect,
        # heads see their agencies' workload by executor and reassign by select (workload.py)
        "workload": executor_workload(headed) if headed else [],
        "map_config": _map_config(userId=user.pk, pollSeconds=30,
                                  executors=assignable_executors(headed) if headed else []),
    })


def on_time_by_agency(start: dt.datetime | None, end: dt.datetime | None) -> list[dict[str, Any]]:
    """Per agency: answered, answered on time (by the deadline), share, open, overdue now
    (one grouped statement over appeals received in the period)."""
    now = timezone.now()
    appeals = Appeal.objects.exclude(responsible_agency=None)
    if start:
        appeals = appeals.filter(received_at__gte=start)
    if end:
        appeals = appeals.filter(received_at__lt=end)
    rows = (appeals.values(agency=F("responsible_agency__short_name")).order_by("agency")
            .annotate(answered=Count("id", filter=Q(answered_at__isnull=False)),
                      on_time=Count("id", filter=Q(answered_at__isnull=False, answered_at__lte=F("deadline_at"))),
                      open=Count("id", filter=Q(status__in=OPEN_STATUSES)),
                      overdue=Count("id", filter=Q(status__in=OPEN_STATUSES, deadline_at__lt=now))))
    table = []
    for row in rows:
        share = row["on_time"] / row["answered"] if row["answered"] else None
        table.append({**row, "share": share, "percent": round(100 * share) if share is not None else None})
    return sorted(table, key=lambda r: (r["share"] is None, r["share"] or 0))


@login_required
def leadership(request: HttpRequest) -> HttpResponse:
    """Leaders and administrators: heat map, choropleth per 1,000 residents, on-time share."""
    require(request, "leadership")
    period = request.GET.get("period", "365d")
    try:
        start, end = parse_period(period) if period else (None, None)
    except ValidationError:
        period, (start, end) = "365d", parse_period("365d")
    return render(request, "frontend_map/leadership.html", {
        "categories": _category_tree(), "periods": PERIODS, "period": period,
        "agencies": on_time_by_agency(start, end),
        "map_config": _map_config(),
    })

