"""A WSGI application that answers every request with ready bytes and does nothing else: no
Django, no Redis, no database. Served by the portal's own web server (``scripts/web.sh``,
granian) it gives the floor under any answer of ours: what the server and the WSGI call alone
cost (``bench/tile_overhead.py --http``, column ``http const``).

``?bytes=N`` answers N bytes (the size of the tile it stands for), with the headers of a tile."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

_BODIES: dict[int, bytes] = {}


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    size = int(parse_qs(environ.get("QUERY_STRING", "")).get("bytes", ["2"])[0])
    body = _BODIES.get(size)
    if body is None:
        body = _BODIES[size] = b"{" + b" " * max(0, size - 2) + b"}"
    start_response("200 OK", [("Content-Type", "application/vnd.mapbox-vector-tile"),
                              ("Content-Length", str(len(body))), ("Cache-Control", "public, max-age=60"),
                              ("ETag", '"const"'), ("X-Content-Type-Options", "nosniff")])
    return [body]
