"""Historical exports: read any CSV of past appeals into router rows (no database involved).

Used by ``manage.py evaluate_router`` and ``bench/router.py``. Errors are ``CsvError`` with a
message meant for the person who typed the command."""
from __future__ import annotations

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


@dataclass
class CsvData:
    rows: list[RoutingRow]
    labels: list[str]
    skipped_without_label: int


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
    wanted = {"--label": columns.label, "--text": columns.text, "--category": columns.category,
              "--lat": columns.lat, "--lon": columns.lon, "--district": columns.district}
    missing = [f"{option} {name!r}" for option, name in wanted.items() if name and name not in frame.columns]
    if missing:
        raise CsvError(f"В файле нет колонок: {', '.join(missing)}. Есть: {', '.join(map(str, frame.columns))}.")

    def column(name: str | None) -> list[str]:
        return frame[name].tolist() if name else [""] * len(frame)

    labels_raw = column(columns.label)
    texts, cats, lats, lons, districts = (column(columns.text), column(columns.category), column(columns.lat),
                                          column(columns.lon), column(columns.district))
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
                               category_path=cat_path, lat=lat, lon=lon, district_code=districts[i].strip() or None))
        labels.append(label)
    if not rows:
        raise CsvError(f"В колонке {columns.label!r} нет ни одного значения: обучать не на чем.")
    return CsvData(rows, labels, skipped)


def describe_columns(options: dict[str, Any]) -> CsvColumns:
    return CsvColumns(label=options["label"], text=options.get("text"), category=options.get("category"),
                      lat=options.get("lat"), lon=options.get("lon"), district=options.get("district"))
