"""The operator's desk. Who may open each (``access.DESK_ROLES``: operators and
administrators; anonymous visitors are sent to sign in, other roles get 403):

- ``/desk/`` the map and list of appeals waiting for registration or routing, the router's
  top 3 with its explanation, route / route elsewhere / reject / merge (desk.js calls the
  appeals API, i.e. ``issues.actions``), the counters and last week's corrections;
- ``/desk/items/`` the list and counters as JSON (desk.js reloads it after every act);
- ``/desk/<id>/duplicates/`` open appeals near one, as JSON;
- ``/desk/new/`` registering a phone, e-mail or paper appeal for a citizen
  (``submit_appeal`` then ``register_appeal``); ``/desk/registered/<id>/`` its number and
  deadline."""
from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from geoportal.models import Agency
from geoportal.roles import role_required

from . import actions, desk
from .access import DESK_ROLES, REFUSED
from .models import Appeal, Category, Channel, RejectReason
from .page_context import texts

OPERATOR_CHANNELS = (Channel.PHONE, Channel.EMAIL, Channel.PAPER)
MAX_ATTACHMENTS = 10
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
ATTACHMENT_TYPES = (".pdf", ".jpg", ".jpeg", ".png", ".tif", ".tiff", ".docx", ".doc", ".odt", ".txt", ".eml")

# the texts desk.js shows, in the page's language
DESK_TEXT: dict[str, Any] = {
    "routeTo": _("Направить в"), "elsewhere": _("Направить в другое ведомство"), "reject": _("Отклонить"),
    "duplicate": _("Это дубль"), "register": _("Зарегистрировать"), "probability": _("вероятность"),
    "why": _("Почему"), "noSuggestions": _("Маршрутизатор не предложил ведомств: выберите вручную."),
    "due": _("Срок"), "dueRegistration": _("регистрация до"), "dueRouting": _("направление до"),
    "overdue": _("просрочено"), "received": _("Поступило"), "empty": _("Все обращения разобраны."),
    "failed": _("Не удалось выполнить действие."), "routed": _("направлено в"), "rejected": _("отклонено"),
    "merged": _("объединено с"), "registered": _("зарегистрировано"), "candidates": _("Рядом открытые обращения"),
    "noCandidates": _("Рядом нет открытых обращений за последние 60 дней."), "mergeInto": _("Объединить с"),
    "sameCategory": _("та же категория"), "metres": _("м"), "noPoint": _("Место не указано на карте."),
    "shortcuts": _("Клавиши 1, 2, 3 — направить выбранное обращение в предложенное ведомство; ↑ и ↓ — выбрать."),
    "channel": _("Канал"), "selected": _("выбрано"), "updated": _("Обновлено"),
}


@role_required(*DESK_ROLES, message=REFUSED["desk"])
@never_cache
def desk_page(request: HttpRequest) -> HttpResponse:
    """Operators: the desk (see the module's docstring)."""
    return render(request, "issues/desk.html", {
        "counters": desk.counters(), "corrections": desk.corrections_last_week(),
        "registration_days": settings.APPEAL_REGISTRATION_DAYS, "routing_days": settings.APPEAL_REDIRECT_DAYS,
        "reject_reasons": [(str(v), str(label)) for v, label in RejectReason.choices],
        "desk_config": {
            "agencies": list(Agency.objects.filter(is_active=True).order_by("short_name")
                             .values("id", "short_name", "name")),
            "texts": texts(DESK_TEXT),
        },
    })


@role_required(*DESK_ROLES, message=REFUSED["desk"])
@never_cache
def desk_items(request: HttpRequest) -> JsonResponse:
    """Operators: the desk's list and counters."""
    return JsonResponse({"items": desk.items(), "counters": desk.counters()})


@role_required(*DESK_ROLES, message=REFUSED["desk"])
@never_cache
def desk_duplicates(request: HttpRequest, pk: int) -> JsonResponse:
    """Operators: open appeals near appeal ``pk`` (candidates to merge it into)."""
    appeal = get_object_or_404(Appeal.objects.select_related("category"), pk=pk)
    return JsonResponse({"candidates": desk.duplicate_candidates(appeal)})


# --- registering an appeal received by phone, e-mail or on paper ----------------------------------

def _categories() -> list[tuple[str, list[tuple[int, str]]]]:
    active = sorted(Category.objects.filter(is_active=True), key=lambda c: c.label)
    return [(parent.label, [(c.pk, c.label) for c in active if c.parent_id == parent.pk])
            for parent in active if parent.parent_id is None]


class PhoneAppealForm(forms.Form):
    channel = forms.ChoiceField(label=_("Как поступило"), choices=[(c.value, c.label) for c in OPERATOR_CHANNELS])
    received_at = forms.DateTimeField(label=_("Дата и время поступления"),
                                      widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                                 format="%Y-%m-%dT%H:%M"),
                                      input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M"])
    author_name = forms.CharField(label=_("ФИО заявителя"), max_length=255, required=False)
    author_contact = forms.CharField(label=_("Контакт для ответа (телефон, e-mail или почтовый адрес)"),
                                     max_length=255, required=False,
                                     help_text=_("Не публикуется: его видят только сотрудники."))
    category = forms.TypedChoiceField(label=_("Категория"), coerce=int)
    text = forms.CharField(label=_("Текст обращения"), widget=forms.Textarea(attrs={"rows": 5}), max_length=5000)
    text_is_private = forms.BooleanField(label=_("Не публиковать текст"), required=False)
    address = forms.CharField(label=_("Адрес проблемы"), max_length=500, required=False)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-90, max_value=90)
    lon = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-180, max_value=180)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", gettext("— выберите —")), *_categories()]  # type: ignore[attr-defined]

    def clean_received_at(self) -> dt.datetime:
        value: dt.datetime = self.cleaned_data["received_at"]
        if value > timezone.now() + dt.timedelta(minutes=5):
            raise ValidationError(gettext("Дата поступления не может быть в будущем."))
        if value < timezone.now() - dt.timedelta(days=365):
            raise ValidationError(gettext("Дата поступления — не раньше чем год назад."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("lat") is None) != (data.get("lon") is None):
            raise ValidationError(gettext("Укажите место на карте целиком или не указывайте."))
        return data


def _attachments(request: HttpRequest) -> tuple[list[Any], list[str]]:
    files = request.FILES.getlist("attachments")
    errors = []
    if len(files) > MAX_ATTACHMENTS:
        errors.append(gettext("Не более {count} вложений.").format(count=MAX_ATTACHMENTS))
    for upload in files:
        if (upload.size or 0) > MAX_ATTACHMENT_BYTES:
            errors.append(gettext("Файл «{name}» больше 20 МБ.").format(name=upload.name))
        elif not (upload.name or "").lower().endswith(ATTACHMENT_TYPES):
            errors.append(gettext("Файл «{name}»: допустимы PDF, изображения, документы и письма.").format(
                name=upload.name))
    return files, errors


@role_required(*DESK_ROLES, message=REFUSED["desk"])
def desk_register(request: HttpRequest) -> HttpResponse:
    """Operators: an appeal received by phone, e-mail or on paper, typed in for the citizen;
    registered at once (its number and deadline shown next), then routed like any other."""
    form = PhoneAppealForm(request.POST or None, initial={
        "channel": Channel.PHONE, "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")})
    attachment_errors: list[str] = []
    if request.method == "POST":
        files, attachment_errors = _attachments(request)
        if form.is_valid() and not attachment_errors:
            data = form.cleaned_data
            pin = Point(data["lon"], data["lat"], srid=4326) if data.get("lat") is not None else None
            category = Category.objects.filter(pk=data["category"], is_active=True).first()
            if category is None:
                form.add_error("category", gettext("Категория не действует."))
            else:
                try:
                    with transaction.atomic():
                        appeal = actions.submit_appeal(
                            author=None, actor=request.user, channel=data["channel"], category=category,
                            text=data["text"], location=pin, address=data["address"],
                            text_is_private=data["text_is_private"], author_name=data["author_name"],
                            author_contact=data["author_contact"], received_at=data["received_at"],
                            attachments=files)
                        actions.register_appeal(appeal, actor=request.user)
                except ValidationError as exc:
                    for field, messages in exc.message_dict.items():
                        target = field if field in form.fields else None  # the point: a form-wide error
                        for message in messages:
                            form.add_error(target, message)
                else:
                    return HttpResponseRedirect(reverse("desk-registered", args=[appeal.pk]))
    status = 400 if request.method == "POST" else 200
    return render(request, "issues/desk_register.html", {
        "form": form, "attachment_errors": attachment_errors, "max_attachments": MAX_ATTACHMENTS,
        "map_config": {"fallbackCenter": list(settings.MAP_DEFAULT_CENTER)},
    }, status=status)


@role_required(*DESK_ROLES, message=REFUSED["desk"])
def desk_registered(request: HttpRequest, pk: int) -> HttpResponse:
    """Operators: the registration number and deadline of an appeal just registered."""
    appeal = get_object_or_404(Appeal.objects.select_related("category", "responsible_agency"), pk=pk)
    return render(request, "issues/desk_registered.html", {"appeal": appeal})
