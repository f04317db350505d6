"""Open data: published appeals as CSV, GeoJSON and GeoPackage with a stable, documented schema.

Anyone may download them. Only appeals the portal publishes (``Appeal.objects.public()``) and only
the structured columns of ``SCHEMA``: never the text, the answer, the address, the author, or
anything about a person. Coordinates are rounded to ``PRECISION`` decimal places (~10 m).
Filters: ``period_start`` and ``period_end`` (dates, both inclusive, by date of receipt in the
portal's time zone; default: the last 365 days) and ``category`` (id, with subcategories)."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import tempfile
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connections, transaction
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from rest_framework import permissions
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from geoportal.converters import query_id
from geoportal.dbtimeout import ensure_request_timeout
from geoportal.replica import read_alias

from . import api_docs, sql

SCHEMA_VERSION = "1.0"
PRECISION = 4
CHUNK = 5000
LICENCE = {
    "name": "Creative Commons Attribution 4.0 International (CC BY 4.0)",
    "url": "https://creativecommons.org/licenses/by/4.0/",
    "attribution": "Геопортал обращений граждан — открытые данные",
    "note": "Свободное использование с указанием источника. Данные не содержат персональных данных "
            "(152-ФЗ, ст. 6 59-ФЗ): только опубликованные обращения, без текста, адреса и сведений о заявителе; "
            "координаты округлены до ~10 м.",
}
# name, type, description (Russian). The order is the column order of every format.
SCHEMA: list[tuple[str, str, str]] = [
    ("id", "integer", "Идентификатор обращения на портале"),
    ("number", "string", "Регистрационный номер (А-ГГГГ-NNNNNN)"),
    ("received_at", "datetime", "Поступило (местное время, Europe/Moscow, ISO 8601 без смещения)"),
    ("registered_at", "datetime", "Зарегистрировано"),
    ("deadline_at", "datetime", "Срок ответа (с учётом продления)"),
    ("answered_at", "datetime", "Дан ответ по существу"),
    ("closed_at", "datetime", "Закрыто"),
    ("status", "string", "Статус: registered, routed, accepted, in_progress, answered, closed"),
    ("category_id", "integer", "Идентификатор категории"),
    ("category_code", "string", "Код категории"),
    ("category", "string", "Категория"),
    ("category_group", "string", "Раздел категорий (верхний уровень)"),
    ("classifier_section", "string", "Раздел тематического классификатора (0001…0005)"),
    ("kind", "string", "Вид: individual, collective, repeated, collective_repeated"),
    ("appeal_type", "string", "Тип: proposal, statement, complaint, request"),
    ("channel", "string", "Канал: web, mobile, phone, email, paper, social, open311"),
    ("district_code", "string", "Код района"),
    ("district", "string", "Район"),
    ("agency_id", "integer", "Идентификатор ответственного ведомства"),
    ("agency", "string", "Ответственное ведомство (краткое название)"),
    ("result", "string", "Результат: supported, measures_taken, explained, not_supported, no_answer"),
    ("extended", "boolean", "Срок рассмотрения продлевался"),
    ("redirect_count", "integer", "Число переадресаций"),
    ("reopen_count", "integer", "Число возобновлений после оценки заявителя"),
    ("supporters_count", "integer", "Число присоединившихся жителей"),
    ("answered_on_time", "boolean", "Ответ дан не позже срока (пусто, если ответа нет)"),
    ("days_to_answer", "number", "Дней от регистрации до ответа"),
    ("lon", "number", f"Долгота WGS84, округлена до {PRECISION} знаков"),
    ("lat", "number", f"Широта WGS84, округлена до {PRECISION} знаков"),
]
COLUMNS = [name for name, _t, _d in SCHEMA]
FORMATS = {"csv": "text/csv; charset=utf-8", "geojson": "application/geo+json",
           "gpkg": "application/geopackage+sqlite3"}


def schema_document() -> dict[str, Any]:
    return {
        "dataset": "appeals",
        "title": "Обращения граждан (опубликованные)",
        "version": SCHEMA_VERSION,
        "licence": LICENCE,
        "formats": {"csv": "/api/v1/opendata/appeals.csv", "geojson": "/api/v1/opendata/appeals.geojson",
                    "gpkg": "/api/v1/opendata/appeals.gpkg"},
        "filters": {"period_start": "дата ГГГГ-ММ-ДД, включительно (по дате поступления)",
                    "period_end": "дата ГГГГ-ММ-ДД, включительно", "category": "id категории (с подкатегориями)"},
        "geometry": "Point, EPSG:4326 (GeoJSON, GeoPackage; в CSV — столбцы lon, lat)",
        "fields": [{"name": n, "type": t, "description": d} for n, t, d in SCHEMA],
        "excluded": "текст обращения и ответа, адрес, заявитель и его контакты, исполнитель, оценки заявителя",
    }


class SchemaView(APIView):
    """Anyone: the open data schema and licence."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(responses={200: api_docs.OpenDataSchema})
    def get(self, request: Request) -> Response:
        return Response(schema_document())


MAX_PERIOD_DAYS = 731  # two years (a leap year included) per download


def parse_query(query: Any) -> dict[str, Any]:
    errors: dict[str, str] = {}
    unknown = sorted(set(query) - {"period_start", "period_end", "category"})
    if unknown:
        errors["params"] = gettext("Неизвестные параметры: {names}; допустимы: period_start, period_end, "
                                   "category.").format(names=", ".join(unknown))
    tz = ZoneInfo(settings.TIME_ZONE)
    today = timezone.localtime(timezone.now(), tz).date()
    days: dict[str, dt.date] = {}
    for name, default in (("period_start", today - dt.timedelta(days=365)), ("period_end", today)):
        raw = (query.get(name) or "").strip()
        parsed = parse_date(raw) if raw else default
        if parsed is None:
            errors[name] = gettext("Дата ГГГГ-ММ-ДД.")
        else:
            days[name] = parsed
    if len(days) == 2 and days["period_start"] > days["period_end"]:
        errors["period_end"] = gettext("Конец периода раньше начала.")
    elif len(days) == 2 and (days["period_end"] - days["period_start"]).days >= MAX_PERIOD_DAYS:
        # one request never reads decades: a longer range is several downloads
        errors["period_end"] = gettext("Не более {days} дней за один запрос.").format(days=MAX_PERIOD_DAYS)
    category = (query.get("category") or "").strip()
    if category and query_id(category) is None:
        errors["category"] = gettext("Целое число — идентификатор категории.")
    if errors:
        raise ValidationError(errors)
    return {
        "start": dt.datetime.combine(days["period_start"], dt.time(), tzinfo=tz),
        "end": dt.datetime.combine(days["period_end"] + dt.timedelta(days=1), dt.time(), tzinfo=tz),
        "category": int(category) if category else None,
        "tz": settings.TIME_ZONE, "precision": PRECISION, "public_statuses": sql.PUBLIC,
    }


def iter_rows(params: dict[str, Any]) -> Iterator[list[tuple[Any, ...]]]:
    """Chunks of rows in SCHEMA order, read through a server-side cursor (constant memory)."""
    statement = sql.opendata_sql(category=params["category"] is not None)
    ensure_request_timeout()  # the rows stream after the middleware returned (geoportal.dbtimeout)
    database = connections[read_alias()]  # lag-tolerant: the replica when one is configured
    with transaction.atomic(using=database.alias):
        database.ensure_connection()
        raw_connection: Any = database.connection
        with raw_connection.cursor(name="opendata_appeals") as cursor:
            cursor.execute(statement, params)
            while True:
                chunk = cursor.fetchmany(CHUNK)
                if not chunk:
                    break
                yield chunk


def _csv_stream(params: dict[str, Any]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(COLUMNS)
    for chunk in iter_rows(params):
        for row in chunk:
            writer.writerow(["" if v is None else ("true" if v is True else "false" if v is False else v)
                             for v in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def _geojson_stream(params: dict[str, Any]) -> Iterator[str]:
    head = {"type": "FeatureCollection", "name": "appeals", "schema_version": SCHEMA_VERSION,
            "licence": LICENCE["name"]}
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "features": ['
    first = True
    lon_i, lat_i = COLUMNS.index("lon"), COLUMNS.index("lat")
    for chunk in iter_rows(params):
        parts = []
        for row in chunk:
            geometry = ({"type": "Point", "coordinates": [row[lon_i], row[lat_i]]}
                        if row[lon_i] is not None else None)
            properties = {name: row[i] for i, name in enumerate(COLUMNS) if name not in ("lon", "lat")}
            parts.append(json.dumps({"type": "Feature", "id": row[0], "geometry": geometry,
                                     "properties": properties}, ensure_ascii=False))
        yield ("" if first else ",") + ",".join(parts)
        first = False
    yield "]}"


def _gpkg_file(params: dict[str, Any]) -> str:
    import geopandas as gpd
    import pandas as pd

    handle, path = tempfile.mkstemp(suffix=".gpkg", prefix="appeals-")
    os.close(handle)
    os.unlink(path)  # pyogrio creates the file itself
    dtypes = {"integer": "Int64", "number": "float64", "boolean": "boolean", "string": "string",
              "datetime": "string"}
    written = False

    def chunks() -> Iterator[list[tuple[Any, ...]]]:
        empty = True
        for chunk in iter_rows(params):
            empty = False
            yield chunk
        if empty:
            yield []

    for chunk in chunks():
        frame = pd.DataFrame.from_records(chunk, columns=COLUMNS)
        for name, kind, _d in SCHEMA:
            frame[name] = frame[name].astype(dtypes[kind])
        frame["received_at"] = pd.to_datetime(frame["received_at"])
        geometry = gpd.points_from_xy(frame["lon"].astype(float), frame["lat"].astype(float), crs="EPSG:4326")
        gdf = gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")
        gdf.to_file(path, layer="appeals", driver="GPKG", engine="pyogrio", append=written)
        written = True
    return path


class _DeleteOnClose(io.FileIO):
    def close(self) -> None:
        name = str(self.name)
        super().close()
        if os.path.exists(name):
            os.unlink(name)


class OpenDataAppealsView(APIView):
    """Anyone: published appeals as ``appeals.csv``, ``appeals.geojson`` or ``appeals.gpkg``."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(parameters=api_docs.OPENDATA_PARAMS, responses=api_docs.OPENDATA_RESPONSES)
    def get(self, request: Request, fmt: str) -> HttpResponse | StreamingHttpResponse | FileResponse:
        if fmt not in FORMATS:
            raise NotFound(gettext("Форматы: {formats}.").format(formats=", ".join(FORMATS)))
        params = parse_query(request.query_params)
        stamp = f"{params['start']:%Y%m%d}-{(params['end'] - dt.timedelta(days=1)):%Y%m%d}"
        filename = f"appeals-{stamp}.{fmt}"
        response: HttpResponse | StreamingHttpResponse | FileResponse
        if fmt == "gpkg":
            path = _gpkg_file(params)
            response = FileResponse(_DeleteOnClose(path, "rb"), content_type=FORMATS[fmt], as_attachment=True,
                                    filename=filename)
        else:
            stream = _csv_stream(params) if fmt == "csv" else _geojson_stream(params)
            response = StreamingHttpResponse(stream, content_type=FORMATS[fmt])
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["X-Licence"] = "CC-BY-4.0"
        response["Link"] = '</api/v1/opendata/schema>; rel="describedby"'
        return response
