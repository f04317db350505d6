"""Small builders that go through the real actions."""
from __future__ import annotations

import io
from typing import Any

from django.contrib.gis.geos import Point
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from geoportal.models import District
from issues import actions
from issues.models import Appeal, Category


def point_in(district_code: str = "centralny") -> Point:
    district = District.objects.get(code=district_code)
    return district.boundary.point_on_surface


def make_appeal(author: Any, category_code: str = "light-street", *, district: str = "centralny",
                text: str = "Не горит фонарь у дома 5, темно вечером.", channel: str = "web", **kwargs: Any) -> Appeal:
    category = Category.objects.get(code=category_code)
    location = kwargs.pop("location", point_in(district))
    if category.photo_required and "photos" not in kwargs:
        kwargs["photos"] = [(upload(jpeg_bytes()), None)]
    return actions.submit_appeal(author=author, channel=channel, category=category, text=text, location=location,
                                 **kwargs)


def jpeg_bytes(size: tuple[int, int] = (64, 48), *, gps: tuple[float, float] | None = None,
               color: str = "red") -> bytes:
    image = Image.new("RGB", size, color)
    exif = Image.Exif()
    exif[0x010F] = "TestCam"  # Make
    exif[0x0131] = "secret-software"
    if gps:
        lat, lon = gps

        def dms(value: float) -> tuple[float, float, float]:
            degrees = int(value)
            minutes = int((value - degrees) * 60)
            seconds = round(((value - degrees) * 60 - minutes) * 60, 4)
            return (float(degrees), float(minutes), seconds)

        gps_ifd = {1: "N", 2: dms(lat), 3: "E", 4: dms(lon)}
        exif[0x8825] = gps_ifd
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes())
    return buffer.getvalue()


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def noise_jpeg(size: tuple[int, int] = (400, 300)) -> bytes:
    """A JPEG whose scan data is large (random pixels), so cutting it truncates real image data."""
    import os

    image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def png_declaring(width: int, height: int, *, complete: bool = False) -> bytes:
    """A PNG whose header declares ``width`` × ``height`` black 1-bit pixels. With
    ``complete`` the pixel data is all there (zeros compress ~1000:1, so even 64 megapixels
    take a few kilobytes); without it the file is a few dozen bytes: a decompression bomb
    that costs nothing on disk."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    raw = b"\x00" * ((1 + (width + 7) // 8) * height if complete else 64)  # filter byte + packed row
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b""))


def files_under(root: Any) -> list[str]:
    """Every file below ``root`` (a directory path), relative names, sorted."""
    from pathlib import Path

    base = Path(root)
    return sorted(str(p.relative_to(base)) for p in base.rglob("*") if p.is_file()) if base.exists() else []
