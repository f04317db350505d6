"""Who hears of what, composed from an appeal's event rows. ``event_recorded`` is called for
every event an action records (``issues.actions.base``, at the end of the write); delivery
(in-app row + e-mail by preference) is the inbox's (``inbox.delivery.notify_on_commit``: a
Celery task after the transaction commits, through the outbox)."""
from __future__ import annotations

from django.conf import settings
from django.utils import timezone, translation

from geoportal.models import StaffMembership, StaffRole
from inbox.delivery import notify_on_commit
from inbox.models import NotificationKind

from .models import Appeal, AppealEvent, Message

CITIZEN_MESSAGES = {
    "register": "Обращение {number} зарегистрировано. Срок ответа — {deadline}.",
    "route": "Обращение {number} направлено исполнителю: {agency}.",
    "accept": "Обращение {number} принято в работу.",
    "answer": "По обращению {number} дан ответ. Оцените, пожалуйста, решена ли проблема.",
    "redirect": "Обращение {number} переадресовано по компетенции: {agency}.",
    "extend": "Срок рассмотрения обращения {number} продлён до {deadline}.",
    "reject": "Обращение {number} отклонено: {reason}.",
    "merge": "Обращение {number} объединено с обращением по той же проблеме.",
    "reopen": "Обращение {number} возобновлено по вашей оценке.",
    "close": "Обращение {number} закрыто.",
}


def _format(template: str, appeal: Appeal) -> str:
    deadline = timezone.localtime(appeal.deadline_at).strftime("%d.%m.%Y") if appeal.deadline_at else "—"
    with translation.override(settings.LANGUAGE_CODE):  # stored Russian, whatever page the staff acted on
        reason = appeal.get_reject_reason_display() if appeal.reject_reason else ""
    return template.format(
        number=appeal.number, deadline=deadline,
        agency=appeal.responsible_agency.name if appeal.responsible_agency else "—", reason=reason,
    )


def status_changed(appeal: Appeal, transition: str) -> None:
    if appeal.author_id is None or transition not in CITIZEN_MESSAGES:
        return
    notify_on_commit([appeal.author_id], NotificationKind.STATUS, _format(CITIZEN_MESSAGES[transition], appeal),
                     appeal_id=appeal.pk)


def event_recorded(event: AppealEvent) -> None:
    """The notices an event owes: the author hears of a status change, the agency's staff of an
    appeal sent to them, executors and agency heads of deadlines."""
    appeal = event.appeal
    status_changed(appeal, event.kind)
    if event.kind in ("route", "redirect"):
        new_appeal_for_agency(appeal)
    elif event.kind == "overdue":
        deadline_notice(_agency_staff(appeal, StaffRole.AGENCY_HEAD), appeal, f"Просрочено обращение {appeal.number}")
    elif event.kind == "deadline_warning" and appeal.deadline_at is not None:
        targets = {appeal.executor_id} if appeal.executor_id else _agency_staff(appeal, StaffRole.EXECUTOR)
        deadline_notice(targets, appeal, f"Срок ответа по обращению {appeal.number} истекает "
                                         f"{timezone.localtime(appeal.deadline_at):%d.%m.%Y}")


def _agency_staff(appeal: Appeal, role: str) -> set[int]:
    return set(StaffMembership.objects.filter(agency_id=appeal.responsible_agency_id or 0, role=role)
               .values_list("user_id", flat=True))


def new_appeal_for_agency(appeal: Appeal) -> None:
    if appeal.responsible_agency_id is None:
        return
    staff = StaffMembership.objects.filter(agency_id=appeal.responsible_agency_id).values_list("user_id", flat=True)
    title = f"Новое обращение {appeal.number}: {appeal.category.name}"
    notify_on_commit(set(staff), NotificationKind.NEW_APPEAL, title, appeal_id=appeal.pk)


def message_posted(appeal: Appeal, message: Message) -> None:
    recipients = set()
    if appeal.author_id and appeal.author_id != message.author_id:
        recipients.add(appeal.author_id)
    if appeal.executor_id and appeal.executor_id != message.author_id:
        recipients.add(appeal.executor_id)
    notify_on_commit(recipients, NotificationKind.MESSAGE, f"Новое сообщение по обращению {appeal.number}",
                     message.text[:500], appeal_id=appeal.pk)


def deadline_notice(user_ids: set[int], appeal: Appeal, title: str) -> None:
    notify_on_commit(user_ids, NotificationKind.DEADLINE, title, appeal_id=appeal.pk)
