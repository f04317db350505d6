"""The notification centre page, ``/notifications/``: signed-in users only, each sees and
changes only their own notices, subscriptions and digest setting (anyone else's id is a 404).

- GET — notices (unread first marked), what the user follows, the digest switch, forms to follow
  a district or a category;
- POST ``action=read_all`` | ``digest`` (``digest=on``) | ``follow`` (``kind``, ``target_id``) |
  ``unfollow`` (``subscription``) — then back to the page; a bad value is a 400 with the error;
- ``/notifications/<id>/`` marks the notice read and goes where it leads."""
from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from geoportal.converters import query_id
from geoportal.models import District
from inbox import actions as inbox_actions
from inbox.delivery import email_address
from inbox.models import Notification
from issues.models import Category

from . import discussion, notifications
from .models import Subscription

PAGE_SIZE = 50
KIND_LABELS = {"status": gettext_lazy("моё обращение"), "message": gettext_lazy("сообщение по обращению"),
               "new_appeal": gettext_lazy("новое обращение в ведомство"), "deadline": gettext_lazy("сроки"),
               "subscription": gettext_lazy("по подписке")}


class CentreForm(forms.Form):
    """One POST of the page: ``action`` says which of its small forms was sent; the other fields
    belong to one action each (a number that is not one reads as missing, as a wrong id would)."""

    action = forms.ChoiceField(choices=[(a, a) for a in ("read_all", "digest", "follow", "unfollow")],
                               error_messages={"required": gettext_lazy("Неизвестное действие."),
                                               "invalid_choice": gettext_lazy("Неизвестное действие.")})
    digest = forms.BooleanField(required=False)
    kind = forms.CharField(required=False)
    target_id = forms.CharField(required=False)
    subscription = forms.CharField(required=False)


def _post(user: Any, form: CentreForm) -> dict[str, str]:
    """Carry out the form's action; the field errors for the page (none when done)."""
    if not form.is_valid():
        return {name: " ".join(str(m) for m in messages) for name, messages in form.errors.items()}
    data = form.cleaned_data
    if data["action"] == "read_all":
        inbox_actions.do_mark_all_read(user)
    elif data["action"] == "digest":
        inbox_actions.do_set_digest(user, data["digest"])
    elif data["action"] == "follow":
        return _follow(user, data["kind"], query_id(data["target_id"]))
    elif not Subscription.objects.filter(user=user, pk=query_id(data["subscription"]) or 0).delete()[0]:
        return {"subscription": _("Нет такой подписки.")}
    return {}


@never_cache
@login_required
def notification_centre(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    errors: dict[str, str] = {}
    if request.method == "POST":
        errors = _post(user, CentreForm(request.POST))
        if not errors:
            return redirect("notification-centre")
    page = max(query_id(request.GET.get("page")) or 1, 1)
    mine = Notification.objects.filter(user=user).select_related("appeal")
    notices = list(mine.order_by("-created_at", "-id")[(page - 1) * PAGE_SIZE:page * PAGE_SIZE + 1])
    more = len(notices) > PAGE_SIZE
    notices = notices[:PAGE_SIZE]
    links = notifications.notification_links(notices)
    subscriptions = list(Subscription.objects.filter(user=user).order_by("kind", "-created_at"))
    labels = notifications.subscription_labels(subscriptions)
    return render(request, "infocenter/notifications.html", {
        "notices": [{"notice": n, "link": links.get(n.pk, ""), "kind": KIND_LABELS.get(n.kind, n.kind)}
                    for n in notices],
        "unread": mine.filter(read_at__isnull=True).count(), "page": page, "more": more,
        "subscriptions": [{"subscription": s, "label": labels[s.pk][0], "link": labels[s.pk][1]}
                          for s in subscriptions],
        "digest": inbox_actions.wants_digest(user), "has_email": bool(email_address(user)),
        "districts": District.objects.order_by("name").values("pk", "name"),
        # objects, not values(): the template shows ``label``, the name in the request's language
        "categories": sorted(Category.objects.filter(parent__isnull=True, is_active=True).only("pk", "name", "name_en"),
                             key=lambda category: category.label),
        "errors": errors,
    }, status=400 if errors else 200)


def _follow(user: Any, kind: str, target_id: int | None) -> dict[str, str]:
    if kind == "district":
        exists = target_id is not None and District.objects.filter(pk=target_id).exists()
    elif kind == "category":
        exists = target_id is not None and Category.objects.filter(pk=target_id, is_active=True).exists()
    else:
        return {"kind": _("Здесь можно подписаться на район или категорию.")}
    if not exists:
        return {"target_id": _("Выберите район или категорию из списка.")}
    try:
        discussion.subscribe(actor=user, kind=kind, target_id=target_id or 0)
    except ValidationError as error:
        return {key: " ".join(messages) for key, messages in error.message_dict.items()}
    return {}


@never_cache
@login_required
def open_notification(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    notice = Notification.objects.filter(user=user, pk=pk).first()
    if notice is None:
        raise Http404
    inbox_actions.do_mark_read(notice)
    link = notifications.notification_links([notice]).get(notice.pk)
    return redirect(link or "notification-centre")
