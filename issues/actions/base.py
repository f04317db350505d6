"""What every appeal action shares: the row lock, the permission gate, the two change signals,
and the one place where an action's side effects are derived from the events it recorded.

An action is decorated with :func:`appeal_write` and records each ``AppealEvent`` through
:func:`transition` (a status change) or :func:`record` (any other event). At the end of the
outermost write, still inside its transaction, :func:`_derive` turns the recorded events into the
effects they owe, in the order they happened: the notices (``issues.notifications`` composes
them from the event row) and, once per changed appeal and last, the change follow-up. No action
calls a status, routing or deadline notice or the change signal by hand, so a new transition
cannot forget either; the one notice sent by hand is a dialogue message's (``post_message``: it
needs the message's text and visibility, which the event row does not carry)."""
from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.dispatch import Signal
from django.utils.translation import gettext as _

from outbox import core as outbox

from .. import notifications
from ..access import can_transition
from ..models import TRANSITIONS, Appeal, AppealEvent

# Sent after commit with the appeal id (and its point, when the write held it), in the process
# that acted; tiles/ listens to drop cached tiles. No logic here, and a failing receiver never
# fails the request (send_robust).
appeal_changed = Signal()
log = logging.getLogger(__name__)
# Sent by the worker (issues.tasks.announce_change, from the outbox) once per changed appeal and
# write: durable follow-ups listen here (subscribers' notices, tile aggregates). Receivers must be
# idempotent: after a crash the message may be carried out again.
appeal_change_delivered = Signal()

# Events that change what an appeal shows (status, agency, deadline, public text, executor on
# claim): each owes the change follow-up. Assignments, messages, support and deadline warnings
# change nothing that is drawn or announced.
CHANGING_EVENTS = frozenset(TRANSITIONS) | {"submit", "extend", "moderate", "claim"}

P = ParamSpec("P")
R = TypeVar("R")
_write = threading.local()


def _send_changed(appeal_id: int, point: dict[str, Any]) -> None:
    """``point``: ``{"location": …}`` with the point as committed when the write held the row
    (receivers then need not read it back), else empty."""
    for receiver, result in appeal_changed.send_robust(sender=Appeal, appeal_id=appeal_id, **point):
        if isinstance(result, Exception):
            log.warning("appeal_changed receiver %s failed for appeal %s: %r", receiver, appeal_id, result)


def _on_commit_changed(appeal_id: int, point: dict[str, Any]) -> None:
    if outbox.enqueue("issues.tasks.announce_change", appeal_id):  # once per write and appeal
        transaction.on_commit(lambda: _send_changed(appeal_id, point))


def _derive(events: list[AppealEvent]) -> None:
    """The one place an appeal's events become side effects (see the module docstring)."""
    changed: dict[int, dict[str, Any]] = {}
    for event in events:
        notifications.event_recorded(event)
        if event.kind in CHANGING_EVENTS and event.appeal_id not in changed:
            # the appeal object the action wrote, when the event holds it: its point at the end
            # of the write is the committed one
            held = AppealEvent.appeal.is_cached(event)
            changed[event.appeal_id] = {"location": event.appeal.location} if held else {}
    for appeal_id, point in changed.items():
        _on_commit_changed(appeal_id, point)


def appeal_write(func: Callable[P, R]) -> Callable[P, R]:
    """``outbox.atomic`` for an appeal action: one transaction, its effects in one outbox row,
    derived from the events recorded inside (a nested action's events join the outer write's)."""
    @functools.wraps(func)
    def inner(*args: P.args, **kwargs: P.kwargs) -> R:
        with transaction.atomic(), outbox.collect():
            if getattr(_write, "events", None) is not None:
                return func(*args, **kwargs)
            events: list[AppealEvent] = []
            _write.events = events
            try:
                result = func(*args, **kwargs)
            finally:
                _write.events = None
            _derive(events)
            return result

    return inner


def record(event: AppealEvent) -> AppealEvent:
    """Owe the effects of ``event`` at the end of the current write."""
    events: list[AppealEvent] | None = getattr(_write, "events", None)
    if events is None:  # outside an action: a one-event write of its own
        _derive([event])
    else:
        events.append(event)
    return event


def transition(appeal: Appeal, name: str, **kwargs: Any) -> AppealEvent:
    """``Appeal.apply_transition`` (its ``IllegalTransition`` is a ``Conflict``: 409), recorded."""
    return record(appeal.apply_transition(name, **kwargs))


def _require(user: Any, appeal: Appeal, transition: str) -> None:
    if user is not None and not can_transition(user, appeal, transition):
        message = _("Нет прав на действие «{transition}» с этим обращением.")
        raise PermissionDenied(message.format(transition=transition))


def _locked(appeal: Appeal | int) -> Appeal:
    pk = appeal.pk if isinstance(appeal, Appeal) else appeal
    return Appeal.objects.select_for_update().get(pk=pk)
