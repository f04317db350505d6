"""Appeal photos over HTTP, each request checked (no photo of an appeal sits in a public folder).

``GET /photos/appeals/<photo id>/photo.jpg`` and ``…/thumb.jpg``: the metadata-free copy and its
thumbnail — anyone while the appeal is public (``Appeal.objects.public()``: registered, not
rejected, not merged, not hidden by a moderator), otherwise only those who see the appeal in
full (its author, the staff of ``Appeal.objects.visible_to``). ``…/original.jpg``: the upload as
sent (EXIF with GPS and camera), only for those who see the appeal in full. Anything else: 404,
the same answer as for a photo that does not exist."""
from __future__ import annotations

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_safe

from .access import can_see_full
from .models import Appeal, AppealPhoto

VARIANTS = ("photo", "thumb", "original")


@require_safe
def appeal_photo(request: HttpRequest, pk: int, variant: str) -> FileResponse:
    if variant not in VARIANTS:
        raise Http404
    photo = AppealPhoto.objects.select_related("appeal").filter(pk=pk).first()
    if photo is None:
        raise Http404
    public = variant != "original" and Appeal.objects.public().filter(pk=photo.appeal_id).exists()
    if not public and not can_see_full(request.user, photo.appeal):
        raise Http404
    field: FieldFile = {"photo": photo.public_copy, "thumb": photo.thumbnail, "original": photo.original}[variant]
    if not field:
        raise Http404
    try:
        handle = field.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type="image/jpeg" if variant != "original" else None)
    # a public photo may be cached briefly by anyone; a private one by nobody in between
    response["Cache-Control"] = "public, max-age=300" if public else "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
