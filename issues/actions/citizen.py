"""What a citizen does with an appeal besides filing it: rating the answer (which closes or
reopens it), the dialogue with the agency, and supporting someone else's appeal."""
from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import notifications
from ..access import can_support, can_transition
from ..models import Appeal, AppealEvent, IllegalTransition, Message, Rating, Status, Support, Visibility
from .base import _locked, appeal_write, record, transition


@appeal_write
def rate_appeal(appeal: Appeal | int, *, actor: Any, solved: bool, score: int, politeness: int | None = None,
                timeliness: int | None = None, comment: str = "") -> Appeal:
    """The citizen's survey; a low score on an unsolved problem reopens the appeal, any other
    rating closes it."""
    appeal = _locked(appeal)
    if actor is None or appeal.author_id != actor.pk:
        raise PermissionDenied(_("Оценить ответ может только автор обращения."))
    if appeal.status != Status.ANSWERED:
        raise IllegalTransition("rate", appeal.status)  # only a received answer is rated
    errors = {}
    for name, value in (("score", score), ("politeness", politeness), ("timeliness", timeliness)):
        if value is not None and not 1 <= int(value) <= 5:
            errors[name] = _("Оценка от 1 до 5.")
    reopen = not solved and score <= settings.APPEAL_REOPEN_SCORE
    if reopen and not comment.strip():
        errors["comment"] = _("Опишите, что не решено.")
    if errors:
        raise ValidationError(errors)
    Rating.objects.update_or_create(appeal=appeal, defaults={
        "solved": solved, "score": score, "politeness": politeness, "timeliness": timeliness,
        "comment": comment.strip(), "created_at": timezone.now()})
    record(AppealEvent.objects.create(appeal=appeal, actor=actor, kind="rate", from_status=appeal.status,
                                      to_status=appeal.status, data={"solved": solved, "score": score}, is_public=True))
    if reopen:
        appeal.answered_at = None
        appeal.result = ""
        appeal.reopen_count = F("reopen_count") + 1
        transition(appeal, "reopen", actor=actor, reason=comment.strip(),
                   update_fields=("answered_at", "result", "reopen_count"))
        appeal.refresh_from_db(fields=["reopen_count"])
    else:
        appeal.closed_at = timezone.now()
        transition(appeal, "close", actor=actor, data={"by": "rating"}, update_fields=("closed_at",))
    return appeal


@appeal_write
def post_message(appeal: Appeal | int, *, actor: Any, text: str, visibility: str) -> Message:
    """Dialogue: the author and the agency's staff write public or private messages; staff may
    also leave internal notes that the citizen never sees."""
    appeal = Appeal.objects.get(pk=appeal.pk if isinstance(appeal, Appeal) else appeal)
    if visibility not in Visibility.values:
        raise ValidationError({"visibility": _("Неизвестная видимость.")})
    is_author = actor is not None and appeal.author_id == actor.pk
    is_staff = can_transition(actor, appeal, "note")
    if not (is_author or is_staff):
        raise PermissionDenied(_("Писать здесь могут автор и сотрудники ответственного ведомства."))
    if visibility == Visibility.INTERNAL and not is_staff:
        raise PermissionDenied(_("Служебные заметки — только для сотрудников."))
    if not 1 <= len(text.strip()) <= 5000:
        raise ValidationError({"text": _("Сообщение от 1 до 5000 символов.")})
    message = Message.objects.create(appeal=appeal, author=actor, text=text.strip(), visibility=visibility)
    record(AppealEvent.objects.create(appeal=appeal, actor=actor, kind="message", data={"message_id": message.pk},
                                      is_public=visibility == Visibility.PUBLIC))
    if visibility != Visibility.INTERNAL:
        notifications.message_posted(appeal, message)
    return message


@appeal_write
def support_appeal(appeal: Appeal | int, *, actor: Any) -> Appeal:
    """A citizen joins an open appeal instead of filing a duplicate."""
    appeal = _locked(appeal)
    if not can_support(actor, appeal):
        raise PermissionDenied(_("Поддержать обращение может житель, кроме его автора."))
    if appeal.status not in (Status.REGISTERED, Status.ROUTED, Status.ACCEPTED, Status.IN_PROGRESS):
        raise IllegalTransition("support", appeal.status)  # only an open appeal
    _support, created = Support.objects.get_or_create(appeal=appeal, user=actor)
    if created:
        appeal.supporters_count = F("supporters_count") + 1
        appeal.save(update_fields=["supporters_count"])
        appeal.refresh_from_db(fields=["supporters_count"])
        record(AppealEvent.objects.create(appeal=appeal, actor=actor, kind="support", is_public=True))
    return appeal

