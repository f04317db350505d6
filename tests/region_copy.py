"""The demo territory for tests, built once and copied in.

Building it through the ORM (``fixtures.demo_region.build_region`` and
``issues.categories.load_categories``) costs some 700 queries, and every test that takes the
``region`` or ``personas`` fixture paid them: each test's transaction is rolled back, and a
transactional test's flush empties the tables. So the first test that needs it builds it the
usual way inside a savepoint, keeps the rows of every table the build filled (``COPY ... TO
STDOUT`` in binary) and rolls the savepoint back; every test, that one included, then gets the
same rows with ``COPY ... FROM STDIN``: a dozen statements instead of 700.

What a fresh build would also do is repeated here: the timestamps that default to "now" are set
to the test's now (its clock may be patched), the tile layers the build's saves drop are
dropped, and the id sequences are kept ahead of the copied ids."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import redis
from django.apps import apps
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

# The build's saves of districts, agencies and categories drop these tile layers (tiles.apps).
TILE_LAYERS = ("appeals", "districts")
# The fields' default, kept before a test's clock replaces timezone.now.
DEFAULT_NOW = timezone.now


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]
    rows: bytes  # COPY binary format
    now_columns: tuple[str, ...]  # timestamps a fresh build would set to timezone.now()
    ids: tuple[int, ...]  # the copied rows' ids (empty without an id column)
    sequence: str | None  # the id sequence, kept ahead of the copied ids


@dataclass(frozen=True)
class RegionCopy:
    tables: tuple[Table, ...]
    counts: dict[str, int]


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _row_counts(tables: list[str]) -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"(SELECT count(*) FROM {_quote(t)})" for t in tables))
        return dict(zip(tables, cursor.fetchone(), strict=True))


def _now_columns(table: str) -> tuple[str, ...]:
    for model in apps.get_models(include_auto_created=True):
        if model._meta.db_table == table:
            return tuple(f.column for f in model._meta.concrete_fields
                         if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
                         or f.default is DEFAULT_NOW)
    return ()


def _read(table: str) -> Table:
    with connection.cursor() as cursor:
        cursor.execute("SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
                       "AND NOT attisdropped AND attgenerated = '' ORDER BY attnum", [_quote(table)])
        columns = tuple(row[0] for row in cursor.fetchall())
        column_list = ", ".join(_quote(c) for c in columns)
        with cursor.copy(f"COPY {_quote(table)} ({column_list}) TO STDOUT (FORMAT binary)") as copy:
            rows = b"".join(bytes(block) for block in copy)
        ids: tuple[int, ...] = ()
        sequence = None
        if "id" in columns:
            cursor.execute(f"SELECT id FROM {_quote(table)} ORDER BY id")  # noqa: S608 - a table name
            ids = tuple(row[0] for row in cursor.fetchall())
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [_quote(table)])
            sequence = cursor.fetchone()[0]
    return Table(table, columns, rows, _now_columns(table), ids, sequence)


def take(build: Any) -> RegionCopy | None:
    """Run ``build()`` (it returns the counts the fixture hands out) in a savepoint that is rolled
    back, and keep what it wrote. None when a table it fills was not empty before (left over by
    an interrupted run): a copy could not stand for the build then."""
    tables = sorted(connection.introspection.django_table_names(only_existing=True, include_views=False))
    with transaction.atomic():
        before = _row_counts(tables)
        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            counts = build()
        after = _row_counts(tables)
        filled = [t for t in tables if after[t] != before[t]]
        taken = [_read(t) for t in filled] if all(before[t] == 0 for t in filled) else None
        transaction.set_rollback(True)
    return RegionCopy(tuple(taken), counts) if taken is not None else None


def restore(region: RegionCopy) -> dict[str, int]:
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        for table in region.tables:  # foreign keys are deferred to the end of the transaction
            column_list = ", ".join(_quote(c) for c in table.columns)
            with cursor.copy(f"COPY {_quote(table.name)} ({column_list}) FROM STDIN (FORMAT binary)") as copy:
                copy.write(table.rows)
            if table.now_columns and table.ids:
                assignments = ", ".join(f"{_quote(c)} = %s" for c in table.now_columns)
                cursor.execute(f"UPDATE {_quote(table.name)} SET {assignments} WHERE id = ANY(%s)",  # noqa: S608
                               [*([now] * len(table.now_columns)), list(table.ids)])
        # Sequences never go back in a session, so this changes nothing unless one was reset.
        ahead = [(t.sequence, t.ids[-1]) for t in region.tables if t.sequence and t.ids]
        if ahead:
            cursor.execute("SELECT " + ", ".join(
                f"setval(%s, greatest(%s, (SELECT last_value FROM {sequence})))" for sequence, _ in ahead),
                [arg for pair in ahead for arg in pair])
    from tiles import cache

    try:
        for layer in TILE_LAYERS:
            cache.bump_layer(layer)
    except redis.RedisError:  # as tiles.signals.layer_changed: a test of Redis down still gets its region
        pass
    return dict(region.counts)
