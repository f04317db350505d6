"""Photo checks (by decoding, never by extension) and the metadata-free public copies."""
from __future__ import annotations

import io
import warnings

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

# A decompression bomb is refused long before it could exhaust memory.
MAX_PIXELS = 40_000_000
GPS_IFD = 0x8825


def _gps_to_degrees(values: tuple[float, float, float], ref: str) -> float:
    degrees = float(values[0]) + float(values[1]) / 60 + float(values[2]) / 3600
    return -degrees if ref in ("S", "W") else degrees


def read_gps(image: Image.Image) -> tuple[float, float] | None:
    """(lat, lon) from EXIF, or None."""
    try:
        gps = image.getexif().get_ifd(GPS_IFD)
        if not gps or 2 not in gps or 4 not in gps:
            return None
        lat = _gps_to_degrees(gps[2], gps.get(1, "N"))
        lon = _gps_to_degrees(gps[4], gps.get(3, "E"))
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


def validate_photo(upload: UploadedFile) -> tuple[float, float] | None:
    """Raise ValidationError unless ``upload`` is a decodable, reasonably sized image;
    return its EXIF GPS position."""
    name = upload.name or _("фото")
    if upload.size is not None and upload.size > settings.APPEAL_MAX_PHOTO_BYTES:
        raise ValidationError(_("{name}: файл больше {mb} МБ.").format(
            name=name, mb=settings.APPEAL_MAX_PHOTO_BYTES // (1024 * 1024)))
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise ValidationError(_("{name}: изображение слишком большое ({width}×{height}).").format(
                        name=name, width=image.width, height=image.height))
                if image.format not in ("JPEG", "PNG", "WEBP", "HEIF", "GIF", "MPO"):
                    raise ValidationError(_("{name}: формат {format} не поддерживается.").format(
                        name=name, format=image.format))
                gps = read_gps(image)
                image.load()  # full decode: truncated or corrupt data fails here
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning) as exc:
        raise ValidationError(_("{name}: это не изображение или файл повреждён.").format(name=name)) from exc
    finally:
        upload.seek(0)
    return gps


def public_copies(data: bytes) -> tuple[bytes, bytes]:
    """A re-encoded JPEG without any metadata (EXIF, GPS, ICC comments) and a 320 px thumbnail."""
    with Image.open(io.BytesIO(data)) as source:
        image = ImageOps.exif_transpose(source).convert("RGB")
    clean = Image.new("RGB", image.size)
    clean.paste(image)
    full = io.BytesIO()
    clean.thumbnail((2048, 2048))
    clean.save(full, "JPEG", quality=85, optimize=True)
    thumb = clean.copy()
    thumb.thumbnail((320, 320))
    small = io.BytesIO()
    thumb.save(small, "JPEG", quality=80)
    return full.getvalue(), small.getvalue()
