"""CORS for the public read API only: /api/v1/ and /open311/ answer cross-origin GETs (and the
preflight of a GET); a cross-origin page gets no CORS headers on a write, so a browser will not
let it read the answer of a POST, and a preflight for anything but GET is refused. Cookies are
never allowed cross-origin (``CORS_ALLOW_CREDENTIALS`` stays False): only public data or what an
API key held by the page itself may read."""
from __future__ import annotations

from corsheaders.middleware import CorsMiddleware
from django.http import HttpRequest

READ_METHODS = ("GET", "HEAD")


class ReadOnlyCorsMiddleware(CorsMiddleware):
    def is_enabled(self, request: HttpRequest) -> bool:
        if request.method == "OPTIONS":
            wanted = request.headers.get("access-control-request-method", "").upper()
            return wanted in READ_METHODS and super().is_enabled(request)
        return request.method in READ_METHODS and super().is_enabled(request)
