"""Media on S3-compatible object storage (MinIO in ``deploy/``), through django-storages.

``MEDIA_STORAGE=s3`` switches the default storage to :class:`MediaStorage`; the local folder
(``MEDIA_ROOT``) stays the default for ``make demo`` and the tests. The split between public and
private files is the one :mod:`geoportal.media` draws (``settings.PUBLIC_MEDIA_PREFIXES``):

* public copies (metadata-free photos, library documents, project photos) get plain URLs under
  ``MEDIA_URL``, which the front proxy (deploy/nginx/cluster.conf) passes to the bucket for those
  prefixes only; the bucket's policy lets anonymous readers GET exactly those prefixes;
* everything else (appeal originals with their EXIF, attachments, meeting minutes) is private in
  the bucket and reached only through a view that checks who asks, which answers with a signed
  URL valid ``MEDIA_SIGNED_URL_SECONDS`` (5 minutes by default) — the file never passes through
  a web node.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import quote, urljoin

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpResponseBase, HttpResponseRedirect
from django.utils.encoding import filepath_to_uri
from storages.backends.s3 import S3Storage

from .media import is_public_media


class MediaStorage(S3Storage):
    """django-storages' S3 storage with public URLs for the public prefixes and short signed
    URLs for everything else."""

    def url(self, name: str, parameters: dict[str, Any] | None = None, expire: int | None = None,
            http_method: str | None = None) -> str:
        if is_public_media(name) and not parameters:
            return urljoin(settings.MEDIA_PUBLIC_URL, filepath_to_uri(self._normalize_name(name)))
        return self.signed_url(name, parameters, expire)

    def signed_url(self, name: str, parameters: dict[str, Any] | None = None, expire: int | None = None) -> str:
        params = dict(parameters or {}, Bucket=self.bucket_name, Key=self._normalize_name(name))
        # Browsers reach the storage by its public address (MEDIA_S3_PUBLIC_ENDPOINT_URL), which
        # the signature covers; the web nodes may talk to it by an internal one.
        client = self._signing_client()
        return str(client.generate_presigned_url("get_object", Params=params,
                                                 ExpiresIn=expire or settings.MEDIA_SIGNED_URL_SECONDS))

    def _signing_client(self) -> Any:
        public = settings.MEDIA_S3_PUBLIC_ENDPOINT_URL
        if not public or public == self.endpoint_url:
            return self.connection.meta.client
        cached = getattr(self, "_public_client", None)
        if cached is None:
            import boto3

            cached = boto3.session.Session().client(
                "s3", endpoint_url=public, region_name=self.region_name, aws_access_key_id=self.access_key,
                aws_secret_access_key=self.secret_key, config=self.client_config)
            self._public_client = cached
        return cached


def private_file_response(file: FieldFile, filename: str, content_type: str) -> HttpResponseBase:
    """The answer to an authorised download of a private file: on object storage a redirect to
    a short-lived signed URL (the storage sends the bytes, with this name and type); on the
    local disk the file itself. The caller has checked who asks. Never cached."""
    storage = file.storage
    response: HttpResponseBase
    if isinstance(storage, MediaStorage):
        response = HttpResponseRedirect(storage.signed_url(file.name or "", {
            "ResponseContentDisposition": f"attachment; filename*=UTF-8''{quote(filename)}",
            "ResponseContentType": content_type}))
    else:
        response = FileResponse(file.open("rb"), content_type=content_type, as_attachment=True, filename=filename)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def storage_is_local() -> bool:
    return isinstance(default_storage, FileSystemStorage)
