"""Deadline escalation (59-FZ art. 12): the executor is warned before the deadline, the agency
head once it has passed, and the violation is recorded. Run for each open appeal near its
deadline by the beat task ``issues.tasks.check_deadlines``."""
from __future__ import annotations

import datetime as dt

from django.conf import settings

from ..deadlines import working_days_between
from ..models import Appeal, AppealEvent, DeadlineViolation, ViolationKind
from .base import appeal_write, record


@appeal_write
def escalate_deadline(appeal: Appeal, *, now: dt.datetime) -> str:
    """Record an overdue appeal's violation and its "overdue" event, or a "deadline_warning"
    event when the deadline is near; each at most once per appeal. Returns "overdue", "warned"
    or "" (nothing due). The notices follow from the events (``issues.notifications``)."""
    deadline_at = appeal.deadline_at
    assert deadline_at is not None
    if deadline_at < now:
        _violation, created = DeadlineViolation.objects.get_or_create(
            appeal=appeal, kind=ViolationKind.ANSWER, defaults={"agency": appeal.responsible_agency})
        if not created:
            return ""
        record(AppealEvent.objects.create(appeal=appeal, kind="overdue", is_public=False))
        return "overdue"
    if (working_days_between(now, deadline_at) > settings.APPEAL_DUE_SOON_WORKING_DAYS
            or AppealEvent.objects.filter(appeal=appeal, kind="deadline_warning").exists()):
        return ""
    record(AppealEvent.objects.create(appeal=appeal, kind="deadline_warning", is_public=False))
    return "warned"
