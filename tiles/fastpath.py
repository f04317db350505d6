"""A lean WSGI path for vector tiles (``geoportal/wsgi.py`` wraps the Django app with it).

A map asks for dozens of tiles per view; each one through Django's full request cycle paid
for ten middlewares (sessions, locale, CSRF, auth, messages…) and URL resolution that a public,
cookie-less, GET-only binary tile never uses — measured at 0.4–0.7 ms a request on the demo
machine, as much as a z16 tile's SQL. This wrapper answers ``GET``/``HEAD
/tiles/{layer}/{z}/{x}/{y}.pbf`` that are well-formed and valid with exactly what
:func:`tiles.views.tile_view` answers (same statement, same cache, ETag/304, Cache-Control and
the security headers the middlewares would add), in one Redis round trip, and stores a freshly
built tile in the cache after its bytes went out. Anything else — another path, another
method, an unknown layer, a tile outside the matrix, invalid filters — goes to Django
unchanged, so every error answer stays Django's own.

Database connections follow Django's request life cycle: ``request_started`` and
``request_finished`` are sent as Django's handler sends them (``CONN_MAX_AGE``, broken
connections, queries log)."""
from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.core import signals
from django.http import QueryDict
from rest_framework.exceptions import Throttled, ValidationError

from geoportal.clientip import client_ip_from_meta
from geoportal.dbtimeout import is_statement_timeout, timeout_response

from . import conf, encoding
from .filters import TileFilters, parse_filters
from .grid import TileOutOfRange, parse_tile
from .layers import LAYERS
from .views import MVT_CONTENT_TYPE, build_tile, check_request, etag_matches, tile_headers

log = logging.getLogger("django.request")
TILE_PATH = re.compile(r"^/tiles/(?P<layer>[-a-zA-Z0-9_]+)/(?P<z>[0-9]+)/(?P<x>[0-9]+)/(?P<y>[0-9]+)\.pbf$")
# What SecurityMiddleware and XFrameOptionsMiddleware add to every Django response.
SECURITY_HEADERS = [("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "same-origin"),
                    ("Cross-Origin-Opener-Policy", "same-origin"), ("X-Frame-Options", "DENY")]

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class _Body:
    """The response body; ``close()`` (called by the server after sending) stores the tile and
    ends the request as Django would."""

    def __init__(self, chunks: list[bytes], after: Callable[[], None]) -> None:
        self.chunks = chunks
        self.after = after

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.chunks)

    def close(self) -> None:
        try:
            self.after()
        finally:
            signals.request_finished.send(sender=TileFastPath)


class TileFastPath:
    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        match = TILE_PATH.match(environ.get("PATH_INFO", ""))
        method = environ.get("REQUEST_METHOD", "")
        if match is None or method not in ("GET", "HEAD"):
            return self.app(environ, start_response)
        layer = LAYERS.get(match["layer"])
        if layer is None:
            return self.app(environ, start_response)
        try:
            if layer.unavailable():
                return self.app(environ, start_response)
            tile = parse_tile(match["z"], match["x"], match["y"], conf.max_zoom())
            query = environ.get("QUERY_STRING", "")
            filters = parse_filters(QueryDict(query)) if layer.filterable and query else TileFilters()
            check_request(layer, tile, filters)
        except (TileOutOfRange, ValidationError):
            return self.app(environ, start_response)  # Django answers 400 with the field errors

        coding = encoding.negotiate(environ.get("HTTP_ACCEPT_ENCODING", ""))
        signals.request_started.send(sender=self.__class__, environ=environ)
        try:
            etag, data, cached, store = build_tile(layer, tile, filters, coding, client_ip_from_meta(environ))
        except Throttled:
            signals.request_finished.send(sender=self.__class__)
            return self.app(environ, start_response)  # Django counts it again and answers 429
        except Exception as exc:
            signals.request_finished.send(sender=self.__class__)
            if is_statement_timeout(exc):  # as StatementTimeoutMiddleware answers Django's views: 503, retry later
                log.warning("Statement timeout: %s", environ.get("PATH_INFO"))
                response = timeout_response(environ.get("PATH_INFO", ""))
                start_response(f"{response.status_code} {response.reason_phrase}",
                               [*response.items(), *SECURITY_HEADERS])
                return [response.content]
            log.exception("Internal Server Error: %s", environ.get("PATH_INFO"))
            start_response("500 Internal Server Error", [("Content-Type", "text/plain; charset=utf-8"),
                                                         *SECURITY_HEADERS])
            return [b"Internal Server Error"]
        headers = list(tile_headers(etag, cached, encoding.content_encoding(data, coding)).items()) + SECURITY_HEADERS
        if etag_matches(environ.get("HTTP_IF_NONE_MATCH", ""), etag):
            start_response("304 Not Modified", headers)
            return _Body([], store)
        start_response("200 OK", [("Content-Type", MVT_CONTENT_TYPE), ("Content-Length", str(len(data))),
                                  *headers])
        return _Body([] if method == "HEAD" else [data], store)
