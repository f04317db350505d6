"""The year's public number (А-2026-000123): gapless and unique, taken by a write's last statement.

Every number of a year comes from one counter row, locked from its increment until the write
commits: that is what keeps the numbers gapless (a write that rolls back gives its number back)
and what serializes every submission of the year. So the lock must last as short as possible.
A write opened by :func:`numbers_last` (every ``submit_appeal``, and the API's create around its
answer and idempotency record) writes its new appeals with a placeholder number and takes their
numbers in its very last statement, with nothing in Python between that statement and COMMIT: one
statement per appeal increments the counter, sets the appeal's number and replaces the placeholder
everywhere the write already wrote it (the notices' texts in the write's outbox row, the API's
idempotency record). Whatever the caller built in memory it patches after the commit with
:meth:`Numbering.fill` (the API's answer).

Inside a write that stores the outbox row itself (an outer ``outbox.collect``: an action that
submits an appeal as one of its steps) the placeholder could not be replaced in the row stored
after the last statement, so such a submission takes its number at once (:func:`next_number`)."""
from __future__ import annotations

import contextlib
import datetime as dt
import functools
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

from django.db import connection, models, transaction
from django.utils import timezone

from outbox import core as outbox
from outbox.models import OutboxMessage

from ..models import Appeal, AppealCounter

P = ParamSpec("P")
R = TypeVar("R")
_local = threading.local()


def _prefix(year: int) -> str:
    return f"А-{year}-"


def _table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def next_number(now: dt.datetime) -> str:
    """The year's next public number, at once: one upsert of the year's counter row, whose lock is
    held until the write commits. Only for writes that cannot take it last (see the module)."""
    year = timezone.localtime(now).year
    table = _table(AppealCounter)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} (year, last) VALUES (%s, 1) "  # noqa: S608 - our table's name
                       f"ON CONFLICT (year) DO UPDATE SET last = {table}.last + 1 RETURNING last", [year])
        (last,) = cursor.fetchone()
    return f"{_prefix(year)}{last:06d}"


def _numbering_sql(patches: list[tuple[str, str]]) -> str:
    """One statement: the appeal (still in this write, with its placeholder) → the counter's
    increment → the appeal's number → the placeholder replaced in each patched JSON column."""
    counter, appeal = _table(AppealCounter), _table(Appeal)
    parts = [
        f"held AS (SELECT id FROM {appeal} WHERE id = %(appeal)s AND number = %(placeholder)s)",
        # no row (a rolled-back savepoint took the appeal away): no increment, no gap
        f"counter AS (INSERT INTO {counter} (year, last) SELECT %(year)s, 1 FROM held "
        f"ON CONFLICT (year) DO UPDATE SET last = {counter}.last + 1 RETURNING last)",
        # six digits at least, like next_number's {:06d}
        f"numbered AS (UPDATE {appeal} SET number = %(prefix)s || lpad(counter.last::text, "
        f"greatest(6, length(counter.last::text)), '0') FROM counter WHERE {appeal}.id = %(appeal)s "
        f"RETURNING {appeal}.number)",
    ]
    for index, (table, column) in enumerate(patches):
        quoted = connection.ops.quote_name(column)
        parts.append(f"patch{index} AS (UPDATE {table} SET {quoted} = replace({quoted}::text, %(placeholder)s, "
                     f"(SELECT number FROM numbered))::jsonb WHERE id = ANY(%(ids{index})s) AND EXISTS "
                     f"(SELECT 1 FROM numbered))")
    return "WITH " + ",\n".join(parts) + "\nSELECT number FROM numbered"


@dataclass
class Numbering:
    """The appeals a write numbers last, and the JSON columns it wrote their placeholders into."""

    appeals: list[tuple[Appeal, int]] = field(default_factory=list)
    patches: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    numbers: dict[str, str] = field(default_factory=dict)  # placeholder → number, once taken

    def add(self, appeal: Appeal, now: dt.datetime) -> None:
        """Number ``appeal`` (inserted by this write with its placeholder number) last."""
        self.appeals.append((appeal, timezone.localtime(now).year))

    def patch_json(self, model: type[models.Model], pk: int, column: str) -> None:
        """The row ``pk`` of ``model`` holds placeholders in its JSON ``column``: replace them."""
        self.patches.setdefault((_table(model), column), []).append(pk)

    def fill(self, data: Any) -> Any:
        """``data`` (JSON-like, changed in place where mutable) with the numbers taken."""
        if isinstance(data, str):
            for placeholder, number in self.numbers.items():
                data = data.replace(placeholder, number)
            return data
        if isinstance(data, dict):
            for key, value in data.items():
                data[key] = self.fill(value)
        elif isinstance(data, list):
            data[:] = [self.fill(value) for value in data]
        return data

    def take(self, outbox_message: int | None) -> None:
        """The write's last statements: one per appeal (a single one for a submission)."""
        if outbox_message is not None:
            self.patch_json(OutboxMessage, outbox_message, "effects")
        patches = list(self.patches)
        sql = _numbering_sql(patches)
        with connection.cursor() as cursor:
            for appeal, year in self.appeals:
                params: dict[str, Any] = {"appeal": appeal.pk, "placeholder": appeal.number, "year": year,
                                          "prefix": _prefix(year)}
                params.update({f"ids{index}": self.patches[key] for index, key in enumerate(patches)})
                cursor.execute(sql, params)
                row = cursor.fetchone()
                if row is not None:
                    self.numbers[appeal.number] = row[0]
        for appeal, _year in self.appeals:  # after the statements: nothing but COMMIT follows them
            appeal.number = self.numbers.get(appeal.number, appeal.number)


def current() -> Numbering | None:
    """The numbering of the write in progress, when it numbers last."""
    return getattr(_local, "numbering", None)


@contextlib.contextmanager
def numbered_last() -> Iterator[Numbering | None]:
    """A write (``transaction.atomic`` and the outermost ``outbox.collect``) whose new appeals are
    numbered by its last statements. Nested in another: that one's. Inside a write that stores
    its outbox row itself: None (number at once)."""
    numbering = current()
    if numbering is not None or outbox.collecting():
        yield numbering
        return
    numbering = Numbering()
    with transaction.atomic():
        with outbox.collect() as collected:
            _local.numbering = numbering
            try:
                yield numbering
            finally:
                _local.numbering = None
        if numbering.appeals:
            numbering.take(collected.message_id)


def numbers_last(func: Callable[P, R]) -> Callable[P, R]:
    """``func`` runs inside :func:`numbered_last`."""
    @functools.wraps(func)
    def inner(*args: P.args, **kwargs: P.kwargs) -> R:
        with numbered_last():
            return func(*args, **kwargs)

    return inner
