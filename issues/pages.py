"""The appeals' pages. Who may open each:

- ``/report/`` the citizen's report flow — signed-in users (59-FZ / 547-FZ: identified citizens);
- ``/appeals/<id>/`` an appeal — anyone for a public appeal (public view); the author and the
  competent staff in full (``issues.access.access_appeal``); others get 404;
- ``/my/`` my appeals — signed-in users, their own only;
- ``/queue/`` the agency queue map — executors and agency heads (others 403; an operator is sent
  to the desk); heads also see their agencies' workload by executor and reassign by select.

The operator's desk is in ``pages_desk.py``. The pages are thin: data comes from the REST API
and the tile endpoints, writes go through the API's actions. The shared map assets and the
scripts are ``frontend_map``'s (templates include them by name; nothing here imports it)."""
from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from geoportal.models import Agency
from geoportal.roles import has_role, is_staff_member, require_role

from .access import DESK_ROLES, QUEUE_ROLES, REFUSED, access_appeal, can_support, public_answer, public_text
from .models import OPEN_STATUSES, Appeal, AppealPhoto, Result, Status
from .page_context import category_tree, map_config, texts
from .routing_service import event_reason
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



@login_required
def report(request: HttpRequest) -> HttpResponse:
    """Signed-in users: pin, category, nearby appeals, text, photos, submit (or queue offline)."""
    return render(request, "issues/report.html", {
        "categories": category_tree(), "max_photos": settings.APPEAL_MAX_PHOTOS,
        "map_config": map_config(fallbackCenter=list(settings.MAP_DEFAULT_CENTER),
                                 draftText=texts(DRAFT_TEXT) | {"fields": texts(DRAFT_FIELDS)}),
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
    return render(request, "issues/appeal.html", {
        "appeal": appeal, "full": full, "is_author": is_author,
        "show_text": full or not appeal.text_is_private,
        # the public view shows only what issues.access lets out (the author's name, phone and
        # e-mail redacted even where a citizen typed them into the text or an answer greets them)
        "text": appeal.text if full else public_text(appeal),
        "answer_text": appeal.answer_text if full else public_answer(appeal),
        "timeline": [{"at": e.created_at, "label": EVENT_LABELS.get(e.kind, e.kind),
                      "reason": event_reason(e) if staff else ""} for e in events],
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
    return render(request, "issues/my_appeals.html", {
        "appeals": [{"appeal": a, "sla": a.sla(now)} for a in appeals]})


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """Executors and agency heads: their agencies' open appeals on a map and in a list. An
    operator's queue is the desk (an old bookmark or link leads there, not to a 403)."""
    if not has_role(request.user, *QUEUE_ROLES) and has_role(request.user, *DESK_ROLES):
        return HttpResponseRedirect(reverse("desk"))
    require_role(request, *QUEUE_ROLES, message=REFUSED["queue"])
    user: Any = request.user
    headed = user.agency_ids("agency_head")
    may_redirect = user.is_superuser or bool(headed)
    return render(request, "issues/queue.html", {
        "categories": category_tree(),
        "results": [(str(v), str(label)) for v, label in Result.choices if v != Result.NO_ANSWER],
        "agencies": Agency.objects.filter(is_active=True).order_by("short_name").values("id", "short_name")
        if may_redirect else [],
        "may_redirect": may_redirect,
        # heads see their agencies' workload by executor and reassign by select (workload.py)
        "workload": executor_workload(headed) if headed else [],
        "map_config": map_config(userId=user.pk, pollSeconds=30,
                                 executors=assignable_executors(headed) if headed else []),
    })
