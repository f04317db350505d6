"""Uploaded files over HTTP: only the folders meant for everyone.

Originals of appeal photos (EXIF with GPS and camera data), attachments and the residents'
meeting minutes (they list residents by name) live in the same media storage as the public
copies; they are reached only through views that check who asks. Everything outside
``settings.PUBLIC_MEDIA_PREFIXES`` is a 404 here, whatever ``DEBUG`` says. A front web server
placed before the portal should serve the same prefixes and nothing else.
"""
from __future__ import annotations

import posixpath

from django.conf import settings
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.views.static import serve


def is_public_media(path: str) -> bool:
    normal = posixpath.normpath(path).lstrip("/")
    if normal.startswith("..") or "\\" in path or "\x00" in path:
        return False
    return any(normal.startswith(prefix) for prefix in settings.PUBLIC_MEDIA_PREFIXES)


def public_media(request: HttpRequest, path: str) -> HttpResponseBase:
    """Anyone may call it; GET/HEAD of a file under a public prefix, 404 for anything else."""
    if request.method not in ("GET", "HEAD") or not is_public_media(path):
        raise Http404("no such file")
    response = serve(request, posixpath.normpath(path).lstrip("/"), document_root=str(settings.MEDIA_ROOT))
    response["X-Content-Type-Options"] = "nosniff"
    return response
