"""Exports of statistics tables: CSV (UTF-8 with BOM so spreadsheet programs read Cyrillic) and
XLSX (openpyxl). Columns: level, each dimension's key and label, then the metrics."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext
from openpyxl import Workbook


def table_columns(dims: Sequence[str], metric_columns: Sequence[str]) -> list[str]:
    columns = ["level"]
    for dim in dims:
        columns += [dim, f"{dim}_label"]
    return [*columns, *metric_columns]


def csv_response(columns: Sequence[str], records: Iterable[dict[str, Any]], filename: str) -> HttpResponse:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for record in records:
        writer.writerow(["" if record.get(c) is None else record.get(c) for c in columns])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def xlsx_response(columns: Sequence[str], records: Iterable[dict[str, Any]], filename: str,
                  title: str | None = None) -> HttpResponse:
    """``title``: the sheet's name (default "Статистика" in the request's language)."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = (title or gettext("Статистика"))[:31]
    sheet.append(list(columns))
    for record in records:
        sheet.append([record.get(c) for c in columns])
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response
