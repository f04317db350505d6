"""The flush after a transactional test, done the short way.

Django's flush truncates every one of the ~70 tables and then runs post_migrate, which makes the
content types and permissions again (one query per app and more). After a test only a handful of
tables hold rows: deleting those rows leaves the same empty database behind (the foreign keys are
deferred to the commit, no table has a trigger on delete, and sequences are reset by neither).
The content types and permissions are left in place when they are what post_migrate made after
the last full flush (same counts); anything else, and the first flush of the session, goes
through Django's own flush."""
from __future__ import annotations

from django.db import connections, transaction
from django.test import TransactionTestCase

# What post_migrate makes again after Django's flush: kept as they are.
REMADE = ("django_content_type", "auth_permission")
_remade_counts: dict[str, tuple[int, ...]] = {}  # database alias → counts right after a full flush


def _state(alias: str) -> tuple[list[str], tuple[int, ...]]:
    """The tables holding rows (but REMADE), and the counts of REMADE."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    tables = [t for t in connection.introspection.django_table_names(only_existing=True, include_views=False)
              if t not in REMADE]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join([*(f"EXISTS (SELECT 1 FROM {quote(t)})" for t in tables),
                                              *(f"(SELECT count(*) FROM {quote(t)})" for t in REMADE)]))
        row = cursor.fetchone()
    return [t for t, filled in zip(tables, row, strict=False) if filled], tuple(row[len(tables):])


def record_full_flush(alias: str) -> None:
    _remade_counts[alias] = _state(alias)[1]


def quick_flush(test: TransactionTestCase, alias: str) -> bool:
    """Empty the database the short way; False when Django's flush must do it."""
    if test.available_apps is not None or test.serialized_rollback or alias not in _remade_counts:
        return False
    filled, remade = _state(alias)
    if remade != _remade_counts[alias]:
        return False
    if filled:
        connection = connections[alias]
        with transaction.atomic(using=alias), connection.cursor() as cursor:
            # one TRUNCATE … CASCADE: a row the Celery worker wrote since the list was taken, in a
            # table referencing these, goes too (a DELETE per table then broke a foreign key)
            cursor.execute("TRUNCATE " + ", ".join(connection.ops.quote_name(t) for t in filled) + " CASCADE")
    return True
