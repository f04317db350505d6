"""The moderator's desk, ``/moderation/`` — moderators and administrators (``doors``; others
403, anonymous visitors are sent to sign in). One queue of what waits for a moderator:

- comments reported by readers or hidden (by reports or by a moderator), with the text as the
  public sees it (the appeal author's personal data redacted) — hide / restore through
  ``infocenter.discussion.moderate_comment`` (the comments API);
- public appeals whose text carries the author's personal data (the redaction preview is
  ``issues.access.redact_personal``) — redact (the preview becomes the text) or hide; appeals a
  moderator hid — restore; all through ``issues.actions.moderate_appeal`` (the appeals API)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from infocenter.discussion import DELETED_BY_AUTHOR, public_comment_text, shown_note
from infocenter.models import Comment
from issues.access import redact_personal
from issues.models import PUBLIC_STATUSES, Appeal
from issues.page_context import texts

from .doors import require

SCAN_DAYS = 30  # public appeals of the last month are checked for personal data in their text
SCAN_LIMIT = 300

MODERATION_TEXT: dict[str, Any] = {
    "hide": _("Скрыть"), "restore": _("Вернуть"), "redact": _("Скрыть персональные данные"),
    "reason": _("Причина (видна модераторам)"), "done": _("Готово"), "failed": _("Не удалось выполнить действие."),
    "defaultReason": _("Персональные данные в публичном тексте"), "hiddenState": _("скрыт"),
    "shownState": _("виден всем"), "redactedState": _("персональные данные скрыты"),
    "appealHiddenState": _("скрыто от жителей"), "appealShownState": _("видно жителям"),
}


def _comments() -> list[dict[str, Any]]:
    rows = (Comment.objects.annotate(report_count=Count("reports"))
            .filter(Q(report_count__gt=0) | Q(is_hidden=True)).exclude(moderation_note=DELETED_BY_AUTHOR)
            .prefetch_related("reports").order_by("is_hidden", "-report_count", "-created_at")[:200])
    cleaners: dict[tuple[str, int], Any] = {}
    out = []
    for comment in rows:
        key = (comment.kind, comment.target_id)
        if key not in cleaners:
            cleaners[key] = public_comment_text(*key)
        preview = cleaners[key](comment.text)
        url = f"/appeals/{comment.target_id}/" if comment.kind == "appeal" else f"/projects/{comment.target_id}/"
        out.append({"id": comment.pk, "text": comment.text, "preview": preview if preview != comment.text else "",
                    "hidden": comment.is_hidden, "note": shown_note(comment.moderation_note),
                    "reports": [r.reason for r in comment.reports.all()], "url": f"{url}#comment-{comment.pk}",
                    "created_at": comment.created_at})
    return out


def _appeals() -> list[dict[str, Any]]:
    since = timezone.now() - dt.timedelta(days=SCAN_DAYS)
    out = []
    hidden = (Appeal.objects.filter(is_public=False, status__in=PUBLIC_STATUSES, duplicate_of__isnull=True)
              .select_related("category").order_by("-received_at")[:100])
    for appeal in hidden:
        out.append({"appeal": appeal, "hidden": True, "preview": ""})
    recent = (Appeal.objects.public().filter(received_at__gte=since, text_is_private=False)
              .select_related("category", "author__profile").order_by("-received_at")[:SCAN_LIMIT])
    for appeal in recent:
        preview = redact_personal(appeal.text, appeal)
        if preview != appeal.text:
            out.append({"appeal": appeal, "hidden": False, "preview": preview})
    return out


@login_required
@never_cache
def moderation(request: HttpRequest) -> HttpResponse:
    """Moderators: reported and hidden comments, appeals with personal data in public text and
    hidden appeals, with hide / redact / restore."""
    require(request, "moderation")
    return render(request, "frontend_map/moderation.html", {
        "comments": _comments(), "appeals": _appeals(),
        "texts": texts(MODERATION_TEXT),
    })
