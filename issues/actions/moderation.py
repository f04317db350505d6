"""Moderation of appeals: rejecting one (59-FZ art. 11), merging a duplicate into the appeal
it repeats, hiding an appeal from public view or redacting its public text."""
from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from ..models import Appeal, AppealEvent, RejectReason, Support
from .base import _locked, _require, appeal_write, record, transition


@appeal_write
def reject_appeal(appeal: Appeal | int, *, actor: Any, reason: str, note: str = "") -> Appeal:
    appeal = _locked(appeal)
    _require(actor, appeal, "reject")
    if reason not in RejectReason.values:
        raise ValidationError({"reason": _("Причина должна быть одной из: {choices}.").format(
            choices=", ".join(RejectReason.values))})
    appeal.reject_reason = reason
    appeal.moderation_note = note.strip()
    appeal.is_public = False  # the text is never published (59-FZ art. 11 p. 3)
    with translation.override(settings.LANGUAGE_CODE):  # stored: in the register's language, whoever rejects
        label = str(RejectReason(reason).label)
    transition(appeal, "reject", actor=actor, reason=label,
               data={"code": reason, "note": note.strip()},
               update_fields=("reject_reason", "moderation_note", "is_public"))
    return appeal


@appeal_write
def merge_appeal(appeal: Appeal | int, *, actor: Any, into: Appeal) -> Appeal:
    appeal = _locked(appeal)
    _require(actor, appeal, "merge")
    if into.pk == appeal.pk or into.duplicate_of_id == appeal.pk:
        raise ValidationError({"into": _("Нельзя объединить обращение само с собой.")})
    appeal.duplicate_of = into
    transition(appeal, "merge", actor=actor, data={"into": into.number}, update_fields=("duplicate_of",))
    if appeal.author_id:
        Support.objects.get_or_create(appeal=into, user_id=appeal.author_id)
        Appeal.objects.filter(pk=into.pk).update(supporters_count=into.supports.count())
    return appeal


@appeal_write
def moderate_appeal(appeal: Appeal | int, *, actor: Any, is_public: bool | None = None,
                    redacted_text: str | None = None, reason: str) -> Appeal:
    """A moderator hides an appeal from public view or redacts its public text."""
    appeal = _locked(appeal)
    _require(actor, appeal, "moderate")
    if not reason.strip():
        raise ValidationError({"reason": _("Укажите причину.")})
    fields = []
    data: dict[str, Any] = {}
    if is_public is not None:
        appeal.is_public = is_public
        fields.append("is_public")
        data["is_public"] = is_public
    if redacted_text is not None:
        if len(redacted_text.strip()) < 10:
            raise ValidationError({"text": _("Текст после редактирования слишком короткий.")})
        data["original_length"] = len(appeal.text)
        appeal.text = redacted_text.strip()
        fields.append("text")
    appeal.save(update_fields=fields)
    record(AppealEvent.objects.create(appeal=appeal, actor=actor, kind="moderate", from_status=appeal.status,
                                      to_status=appeal.status, reason=reason.strip(), data=data, is_public=False))
    return appeal

