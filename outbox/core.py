"""Write side effects into the outbox, relay them to Celery, carry them out once.

A write (``issues.actions``) runs inside :func:`atomic`: every :func:`enqueue` in it appends to one
list, stored as one row at the end of the write, in its transaction. After commit the row is
published (best effort: a broker that is down costs a log line, not the request). The worker's
sweep (:mod:`outbox.worker`, or ``manage.py outbox_sweep``) publishes what was not, and again what
was published but never finished (a worker killed with its message unacknowledged). Delivery is
therefore at least once; :func:`run` makes the effect happen once: each effect commits together
with the row's ``done`` counter, under the row's lock."""
from __future__ import annotations

import contextlib
import datetime as dt
import functools
import importlib
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone

from geoportal import metrics

from .models import OutboxMessage

log = logging.getLogger(__name__)
DISPATCH_TASK = "outbox.tasks.dispatch"
# A lost connection: worth trying again later, not a fault of the effect itself.
CONNECTION_ERRORS = (OperationalError, InterfaceError)
_local = threading.local()
P = ParamSpec("P")
R = TypeVar("R")


def enqueue(task_name: str, *args: Any) -> bool:
    """Owe the Celery task ``task_name(*args)`` (JSON arguments) once the current write commits.
    False when the current write already owes exactly this effect (it is owed once)."""
    effect = [task_name, list(args)]
    batch: list[list[Any]] | None = getattr(_local, "batch", None)
    if batch is None:
        _store([effect])
    elif effect in batch:  # one write that changes an appeal twice owes one follow-up
        return False
    else:
        batch.append(effect)
    return True


def _store(effects: list[list[Any]]) -> int:
    message = OutboxMessage.objects.create(effects=effects)
    message_id: int = message.pk
    transaction.on_commit(lambda: publish([message_id]))
    return message_id


class Collected:
    """What a :func:`collect` stored: the id of its row, once it ends (None when nothing was owed,
    or when it was nested and the outermost one stores the row)."""

    message_id: int | None = None


def collecting() -> bool:
    """Whether a :func:`collect` is open: the effects enqueued now are stored when it ends."""
    return getattr(_local, "batch", None) is not None


@contextlib.contextmanager
def collect() -> Iterator[Collected]:
    """Gather the effects enqueued inside into one row (nested: the outermost one stores it)."""
    collected = Collected()
    if collecting():
        yield collected
        return
    batch: list[list[Any]] = []
    _local.batch = batch
    try:
        yield collected
    finally:
        _local.batch = None
    if batch:
        collected.message_id = _store(batch)


def atomic(func: Callable[P, R]) -> Callable[P, R]:
    """``transaction.atomic`` for an action whose side effects go to the outbox as one row."""
    @functools.wraps(func)
    def inner(*args: P.args, **kwargs: P.kwargs) -> R:
        with transaction.atomic(), collect():
            return func(*args, **kwargs)

    return inner


def publish(message_ids: list[int]) -> int:
    """Hand the messages to the broker; never raises. Returns how many went out."""
    from geoportal.celery import app

    sent: list[int] = []
    try:
        with app.producer_or_acquire() as producer:
            # Fail in milliseconds when Redis is down (kombu's default is to retry for seconds).
            producer.connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0.1,
                                                  interval_max=0.1, timeout=1)
            for message_id in message_ids:
                # ignore_result: no subscription to a result in the (maybe unreachable) backend
                app.send_task(DISPATCH_TASK, args=[message_id], ignore_result=True, producer=producer, retry=False)
                sent.append(message_id)
    except Exception:  # noqa: BLE001 - any broker failure: the sweep publishes it later
        metrics.OUTBOX_PUBLISH_FAILED.inc(len(message_ids) - len(sent))
        log.warning("outbox: broker unavailable, %s message(s) left for the sweep", len(message_ids) - len(sent),
                    exc_info=log.isEnabledFor(logging.DEBUG))
    if sent:
        metrics.OUTBOX_PUBLISHED.inc(len(sent))
        try:
            OutboxMessage.objects.filter(pk__in=sent).update(published_at=timezone.now())
        except CONNECTION_ERRORS:
            log.warning("outbox: could not mark %s message(s) published", len(sent))
    return len(sent)


def pending() -> Any:
    return OutboxMessage.objects.filter(completed_at__isnull=True, failed_at__isnull=True)


def sweep(limit: int = 500) -> int:
    """Publish what is due: never published (its on-commit publish failed), due again after a
    failure, or published long ago and still unfinished (its message was lost with a worker or a
    broker restart). Rows a dispatch holds are skipped. Returns how many went out."""
    now = timezone.now()
    fresh = now - dt.timedelta(seconds=settings.OUTBOX_PUBLISH_GRACE_S)
    stale = now - dt.timedelta(seconds=settings.OUTBOX_REDELIVER_AFTER_S)
    with transaction.atomic():
        due = list(pending().select_for_update(skip_locked=True)
                   .filter(available_at__lte=now)
                   .filter(Q(published_at__isnull=True, created_at__lt=fresh) | Q(published_at__lt=stale))
                   .order_by("available_at").values_list("pk", flat=True)[:limit])
        return publish(due) if due else 0


def retry(message_ids: list[int]) -> int:
    """The admin's retry button: a dead letter (or any unfinished message) is due now."""
    with transaction.atomic():
        count = (OutboxMessage.objects.filter(pk__in=message_ids, completed_at__isnull=True)
                 .update(failed_at=None, attempts=0, available_at=timezone.now(), published_at=None))
        ids = list(message_ids)
        transaction.on_commit(lambda: publish(ids))
    return count


def backoff(attempts: int) -> float:
    return float(min(settings.OUTBOX_BACKOFF_S * 2 ** max(attempts - 1, 0), 3600))


def run(message_id: int) -> str:
    """Carry out a message's remaining effects in order, each once. Connection errors propagate
    (the task retries); any other failure is recorded and the message is due again after a
    backoff, or becomes a dead letter after OUTBOX_MAX_ATTEMPTS."""
    from geoportal.celery import app

    message = OutboxMessage.objects.filter(pk=message_id).first()
    if message is None or message.completed_at or message.failed_at:
        return "nothing to do"
    for index, (name, args) in enumerate(message.effects):
        if index < message.done:
            continue
        try:
            with transaction.atomic():
                locked = OutboxMessage.objects.select_for_update().get(pk=message_id)
                if locked.done > index or locked.completed_at or locked.failed_at:
                    continue  # another delivery of this message did it
                _task(app, name)(*args)
                OutboxMessage.objects.filter(pk=message_id).update(done=index + 1)
        except CONNECTION_ERRORS:
            raise
        except Exception as exc:  # noqa: BLE001 - recorded on the row, shown to admins
            _failed(message_id, name, exc)
            return "failed"
        metrics.OUTBOX_EFFECTS.labels(name).inc()
    OutboxMessage.objects.filter(pk=message_id, completed_at__isnull=True).update(completed_at=timezone.now(),
                                                                                  last_error="")
    return "done"


def _task(app: Any, name: str) -> Any:
    if name not in app.tasks:  # outside a worker the apps' task modules load on first use
        importlib.import_module(name.rsplit(".", 1)[0])
    return app.tasks[name]


def _failed(message_id: int, name: str, exc: BaseException) -> None:
    log.warning("outbox: message %s, effect %s failed: %r", message_id, name, exc, exc_info=True)
    message = OutboxMessage.objects.get(pk=message_id)
    attempts = message.attempts + 1
    error = f"{name}: {exc!r}"[:2000]
    if attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        metrics.OUTBOX_DEAD.inc()
        OutboxMessage.objects.filter(pk=message_id).update(attempts=F("attempts") + 1, failed_at=timezone.now(),
                                                           last_error=error)
    else:
        OutboxMessage.objects.filter(pk=message_id).update(
            attempts=F("attempts") + 1, last_error=error, published_at=None,
            available_at=timezone.now() + dt.timedelta(seconds=backoff(attempts)))
