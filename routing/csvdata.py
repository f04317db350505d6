"""Historical exports: read any CSV of past appeals into router rows (no database involved).

Used by ``manage.py evaluate_router`` and ``bench/router.py``. Errors are ``CsvError`` with a
message meant for the person who typed the command."""
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .features import RoutingRow

_PATH_SEPARATORS = re.compile(r"\s*(?:>|›|»|/|\\|\|)\s*")


class CsvError(ValueError):
    pass


@dataclass
class CsvColumns:
    label: str
    text: str | None = None
    category: str | None = None
    lat: str | None = None
    lon: str | None = None
    district: str | None = None
    time: str | None = None


@dataclass
class CsvData:
    rows: list[RoutingRow]
    labels: list[str]
    skipped_without_label: int
    times: list[dt.datetime | None] | None = None  # with a time column: when each row was received


def _float(value: str) -> float | None:
    value = value.strip().replace(",", ".")
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def category_path(value: str) -> tuple[str, ...]:
    """'ЖКХ > Отопление > Нет тепла' → ('ЖКХ > Отопление > Нет тепла', 'ЖКХ > Отопление', 'ЖКХ')."""
    parts = [p for p in _PATH_SEPARATORS.split(value.strip()) if p]
    if len(parts) <= 1:
        return (value.strip(),) if value.strip() else ()
    return tuple(" > ".join(parts[: k]) for k in range(len(parts), 0, -1))


def read_csv(path: str | Path, columns: CsvColumns, encoding: str = "utf-8", delimiter: str = ",") -> CsvData:
    import pandas as pd

    file = Path(path)
    if not file.is_file():
        raise CsvError(f"Файл не найден: {file}")
    if (columns.lat is None) != (columns.lon is None):
        raise CsvError("Укажите обе колонки координат: --lat и --lon.")
    if len(delimiter) != 1:
        raise CsvError(f"Разделитель должен быть одним символом, получено {delimiter!r}.")
    try:
        frame = pd.read_csv(file, dtype=str, keep_default_na=False, encoding=encoding, sep=delimiter,
                            engine="c", on_bad_lines="error")
    except LookupError:
        raise CsvError(f"Неизвестная кодировка: {encoding!r}.")
    except UnicodeDecodeError as exc:
        raise CsvError(f"Файл не читается в кодировке {encoding}: {exc.reason} в позиции {exc.start}. "
                       "Укажите верную кодировку через --encoding (например, cp1251).")
    except pd.errors.EmptyDataError:
        raise CsvError("Файл пуст.")
    except pd.errors.ParserError as exc:
        raise CsvError(f"Не удалось разобрать CSV: {exc}")
    frame.columns = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    category_columns = [c.strip() for c in columns.category.split(",")] if columns.category else []
    wanted = [("--label", columns.label), *(("--category", c) for c in category_columns), ("--text", columns.text),
              ("--lat", columns.lat), ("--lon", columns.lon), ("--district", columns.district),
              ("--time-column", columns.time)]
    missing = [f"{option} {name!r}" for option, name in wanted if name and name not in frame.columns]
    if missing:
        raise CsvError(f"В файле нет колонок: {', '.join(missing)}. Есть: {', '.join(map(str, frame.columns))}.")

    def column(name: str | None) -> list[str]:
        return frame[name].tolist() if name else [""] * len(frame)

    labels_raw = column(columns.label)
    texts, lats, lons, districts = column(columns.text), column(columns.lat), column(columns.lon), \
        column(columns.district)
    # several category columns (broad to narrow, e.g. object,category,reason) make one path
    cats = [" > ".join(p for p in parts if p.strip()) for parts in zip(*(column(c) for c in category_columns),
                                                                        strict=True)] \
        if len(category_columns) > 1 else column(category_columns[0] if category_columns else None)
    stamps = _times(frame[columns.time].tolist(), columns.time) if columns.time else None
    rows: list[RoutingRow] = []
    labels: list[str] = []
    skipped = 0
    for i, label in enumerate(labels_raw):
        label = label.strip()
        if not label:
            skipped += 1
            continue
        lat, lon = _float(lats[i]), _float(lons[i])
        if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            lat = lon = None
        cat_path = category_path(cats[i])
        rows.append(RoutingRow(appeal_id=i + 2, text=texts[i], category_code=cat_path[0] if cat_path else None,
                               category_path=cat_path, lat=lat, lon=lon, district_code=districts[i].strip() or None,
                               received_at=stamps[i] if stamps else None))
        labels.append(label)
    if not rows:
        raise CsvError(f"В колонке {columns.label!r} нет ни одного значения: обучать не на чем.")
    times = [row.received_at for row in rows] if stamps else None
    return CsvData(rows, labels, skipped, times)


def _times(values: list[str], name: str) -> list[dt.datetime | None]:
    """Dates of a time column (ISO 8601 or day.month.year, with or without time; naive values
    are taken as Moscow time); a column where no value is a date is an error."""
    import pandas as pd

    parsed = pd.to_datetime(pd.Series(values), errors="coerce", format="ISO8601")
    if parsed.isna().all():
        parsed = pd.to_datetime(pd.Series(values), errors="coerce", dayfirst=True, format="mixed")
    if parsed.isna().all():
        raise CsvError(f"В колонке времени {name!r} нет ни одной даты (ожидается, например, 2021-01-31T23:58:57).")
    moscow = dt.timezone(dt.timedelta(hours=3))
    return [None if pd.isna(t) else (t.to_pydatetime() if t.tzinfo else t.to_pydatetime().replace(tzinfo=moscow))
            for t in parsed]


def describe_columns(options: dict[str, Any]) -> CsvColumns:
    return CsvColumns(label=options["label"], text=options.get("text"), category=options.get("category"),
                      lat=options.get("lat"), lon=options.get("lon"), district=options.get("district"),
                      time=options.get("time_column"))
