"""Uploaded files over HTTP: only the folders meant for everyone.

Originals of appeal photos (EXIF with GPS and camera data), attachments and the residents'
meeting minutes (they list residents by name) live in the same media storage as the public
copies; they are reached only through views that check who asks. Everything outside
``settings.PUBLIC_MEDIA_PREFIXES`` is a 404 here, whatever ``DEBUG`` says. A front web server
placed before the portal should serve the same prefixes and nothing else.
"""
from __future__ import annotations

import mimetypes
import posixpath

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.http import FileResponse, Http404, HttpRequest
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
    name = posixpath.normpath(path).lstrip("/")
    if not isinstance(default_storage, FileSystemStorage):
        # Object storage: the front proxy serves these prefixes from the bucket; a request that
        # reached a web node anyway is streamed from the storage.
        try:
            handle = default_storage.open(name, "rb")
        except (FileNotFoundError, OSError) as exc:
            raise Http404("no such file") from exc
        response: HttpResponseBase = FileResponse(handle, content_type=mimetypes.guess_type(name)[0])
    else:
        response = serve(request, name, document_root=str(settings.MEDIA_ROOT))
    response["X-Content-Type-Options"] = "nosniff"
    return response
