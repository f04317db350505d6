"""A ``statement_timeout`` for the connections that serve web requests.

A request's statements are cut off after ``DB_REQUEST_TIMEOUT_MS`` (an anonymous pivot or
hotspot query cannot hold a connection for minutes); staff exports run under the longer
``DB_EXPORT_TIMEOUT_MS`` (:func:`export_timeout`). Celery tasks and management commands (the
nightly aggregate rebuild, seeding) never pass through here and keep PostgreSQL's default.
A cancelled statement becomes a clear 503 with ``Retry-After`` (:class:`StatementTimeoutMiddleware`);
requests too large to answer at all are refused earlier with a 400 (row caps in analytics).

The ``SET`` goes through the raw connection: it is plumbing, not one of the request's
queries (query-count tests and the debug toolbar stay exact), and it is sent only when the
connection does not carry the value yet (persistent connections pay once)."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, connections, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext

_MARK = "_geoportal_statement_timeout"


def apply_timeout(milliseconds: int) -> None:
    """Set the connection's statement timeout (0 = none) unless it already has this value."""
    connection.ensure_connection()
    raw: Any = connection.connection
    mark = getattr(connection, _MARK, None)
    if mark is not None and mark[0] is raw and mark[1] == milliseconds:
        return
    with raw.cursor() as cursor:
        cursor.execute(f"SET statement_timeout = {int(milliseconds)}")
    setattr(connection, _MARK, (raw, milliseconds))


def ensure_request_timeout() -> None:
    """The request timeout, unless the connection already carries a timeout set here (an
    export's longer one stays until the export resets it)."""
    if not settings.DB_REQUEST_TIMEOUT_MS:
        return
    connection.ensure_connection()
    mark = getattr(connection, _MARK, None)
    if mark is None or mark[0] is not connection.connection:
        apply_timeout(settings.DB_REQUEST_TIMEOUT_MS)


def forget_timeout() -> None:
    """Forget what the connection carries (a rolled-back transaction undid the SET)."""
    if hasattr(connection, _MARK):
        delattr(connection, _MARK)


@contextmanager
def export_timeout() -> Iterator[None]:
    """The longer timeout for a staff export, back to the request's own afterwards."""
    apply_timeout(settings.DB_EXPORT_TIMEOUT_MS)
    try:
        yield
    finally:
        apply_timeout(settings.DB_REQUEST_TIMEOUT_MS)


@contextmanager
def statement_budget(milliseconds: int, using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """The statements inside run under this statement timeout, on the ``using`` connection, in a
    transaction (a savepoint inside another) of their own: one cancelled rolls back only what ran
    inside, and the enclosing transaction keeps its own timeout afterwards. The caller tells a
    timeout from other errors with :func:`is_statement_timeout`."""
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute("SELECT current_setting('statement_timeout')")
        before = cursor.fetchone()[0]
        cursor.execute("SELECT set_config('statement_timeout', %s, true)", [str(int(milliseconds))])
        yield
        cursor.execute("SELECT set_config('statement_timeout', %s, true)", [before])


def is_statement_timeout(exc: BaseException) -> bool:
    from psycopg.errors import QueryCanceled

    return isinstance(exc, OperationalError) and isinstance(exc.__cause__, QueryCanceled)


def timeout_response(path: str) -> HttpResponse:
    message = gettext("Запрос выполнялся слишком долго и был прерван. Сузьте запрос (период, фильтры) "
                      "или повторите позже.")
    response: HttpResponse
    if path.startswith(("/api/", "/tiles/", "/open311/")):
        response = JsonResponse({"detail": message}, status=503)
    else:
        response = HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = "30"
    return response


class StatementTimeoutMiddleware:
    """Every request runs under ``DB_REQUEST_TIMEOUT_MS``; a cancelled statement is a 503."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not settings.DB_REQUEST_TIMEOUT_MS:
            return self.get_response(request)
        # Applied before the request's first statement, so a request that never touches the
        # database never opens a connection for it.
        with connection.execute_wrapper(_before_first_statement):
            return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_statement_timeout(exception):
            return timeout_response(request.path)
        return None


def _before_first_statement(execute: Callable[..., Any], sql: str, params: Any, many: bool,
                            context: dict[str, Any]) -> Any:
    ensure_request_timeout()
    return execute(sql, params, many, context)

