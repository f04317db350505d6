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
