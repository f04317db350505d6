"""Every state-changing write on appeals goes through a function in this package, one module a
domain: ``submission`` (accept, register, route), ``work`` (the agency's work and answer),
``moderation``, ``citizen`` (rating, dialogue, support) and ``escalation`` (deadlines); ``base``
holds what they share.

Each action is atomic, locks the appeal row, applies one transition (which leaves an
``AppealEvent``), and owes its side effects (notifications, photo processing, the follow-ups of a
changed appeal) to the outbox: one row in the same transaction, carried out by the worker once,
also when Redis was down at commit. The notices and the change follow-up are derived from the
events the write recorded, in one place (``base``). Tile caches are dropped at commit by the
``appeal_changed`` signal (best effort: they expire anyway, and the worker drops them again).
Views, the API, admin, management commands and Celery tasks all call these."""
from __future__ import annotations

from .base import appeal_change_delivered, appeal_changed
from .citizen import post_message, rate_appeal, support_appeal
from .escalation import escalate_deadline
from .moderation import merge_appeal, moderate_appeal, reject_appeal
from .numbering import next_number
from .submission import (
    initial_location,
    is_anonymous,
    register_appeal,
    route_appeal,
    submit_appeal,
    validate_submission,
)
from .work import (
    accept_appeal,
    answer_appeal,
    assign_executor,
    claim_appeal,
    close_appeal,
    extend_deadline,
    redirect_appeal,
    start_work,
)

__all__ = [
    "accept_appeal", "answer_appeal", "appeal_change_delivered", "appeal_changed", "assign_executor",
    "claim_appeal", "close_appeal", "escalate_deadline", "extend_deadline", "initial_location", "is_anonymous",
    "merge_appeal", "moderate_appeal", "next_number", "post_message", "rate_appeal", "redirect_appeal",
    "register_appeal", "reject_appeal", "route_appeal", "start_work", "submit_appeal", "support_appeal",
    "validate_submission",
]
