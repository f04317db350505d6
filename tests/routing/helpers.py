"""Data for router tests: appeals in the demo region whose true agency needs the location, and
a small archive CSV written the way real exports look (Russian text, HTML, gaps)."""
from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path
from typing import Any

import shapely

from routing.features import RoutingRow

MSK = dt.timezone(dt.timedelta(hours=3))
HEAT_NORTH = {"sormovsky", "moskovsky", "kanavinsky"}
TEXTS = {
    "heat-outage": ("В квартире нет отопления, батареи холодные", "Холодно дома, отопление не включили"),
    "yard-cleaning": ("Двор не убирают, кругом мусор и листья", "Во дворе грязь, дворника нет неделями"),
    "light-street": ("Не горит уличный фонарь", "На улице темно, фонари не работают"),
    "roads-potholes": ("Глубокая яма на проезжей части", "Выбоины на дороге после зимы"),
    "waste-container": ("Переполнены мусорные контейнеры, не вывозят", "Мусор не вывозили три дня"),
}
GROUPS = {"heat-outage": "heating", "yard-cleaning": "yards", "light-street": "lighting",
          "roads-potholes": "roads", "waste-container": "waste"}


def region_geometry() -> tuple[list[tuple[int, str, str, Any]], dict[str, int], Any]:
    from geoportal.models import Agency, District

    districts = [(d.pk, d.code, d.name, shapely.from_wkb(bytes(d.boundary.wkb)))
                 for d in District.objects.order_by("id")]
    agencies = dict(Agency.objects.values_list("short_name", "id"))
    north = Agency.objects.get(short_name="Экология-Север")
    return districts, agencies, shapely.from_wkb(bytes(north.jurisdiction.wkb))


def region_dataset(n: int = 600, seed: int = 0, no_point_share: float = 0.1
                   ) -> tuple[list[RoutingRow], list[int], list[dt.datetime]]:
    """Appeals in the demo city with location-dependent truth (heat by district set, yards by
    district administration, waste by river bank). Jurisdiction left empty: the router fills it."""
    rng = random.Random(seed)
    districts, agencies, north = region_geometry()
    codes = list(TEXTS)
    start = dt.datetime(2024, 1, 1, 9, tzinfo=MSK)
    rows, labels, times = [], [], []
    for i in range(n):
        _pk, code, name, shape = districts[rng.randrange(len(districts))]
        minx, miny, maxx, maxy = shape.bounds
        while True:
            lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
            if shapely.contains_xy(shape, lon, lat):
                break
        category = codes[rng.randrange(len(codes))]
        if category == "heat-outage":
            label = agencies["Теплосеть-Север" if code in HEAT_NORTH else "Теплосеть-Юг"]
        elif category == "yard-cleaning":
            label = agencies[f"Адм. {name}"]
        elif category == "light-street":
            label = agencies["Горсвет"]
        elif category == "roads-potholes":
            label = agencies["Комдорхоз"]
        else:
            label = agencies["Экология-Север" if shapely.contains_xy(north, lon, lat) else "Экология-Юг"]
        text = rng.choice(TEXTS[category])
        if rng.random() < 0.1:
            text = f"<p>Здравствуйте!</p><p>{text}</p>"
        point = rng.random() >= no_point_share
        when = start + dt.timedelta(hours=12 * i)
        rows.append(RoutingRow(appeal_id=i + 1, text=text, category_code=category,
                               category_path=(category, GROUPS[category]), lat=lat if point else None,
                               lon=lon if point else None, district_code=None if point else code,
                               channel="web", received_at=when))
        labels.append(label)
        times.append(when)
    return rows, labels, times


def write_archive_csv(path: Path, n: int = 240, seed: int = 1, encoding: str = "utf-8") -> Path:
    """A small archive export: five agencies split by topic and city side, one agency with a
    single appeal, HTML in texts, empty cells, a quarter of the rows without coordinates."""
    rng = random.Random(seed)
    topics = {"Освещение": ("Не горит фонарь во дворе", "На улице темно, фонари не горят"),
              "Дороги": ("Яма на дороге у дома", "Разбит асфальт на перекрёстке"),
              "Мусор": ("Не вывозят мусор с контейнерной площадки", "Переполнены баки")}
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["Ведомство", "Текст", "Рубрика", "Широта", "Долгота", "Район"])
        for i in range(n):
            topic = list(topics)[i % 3]
            lon, lat = 44.0 + rng.uniform(-0.1, 0.1), 56.3 + rng.uniform(-0.05, 0.05)
            east = lon > 44.0
            agency = {"Освещение": "Горсвет", "Дороги": "Комдорхоз" if east else "Дорожная служба Запад",
                      "Мусор": "Экология-Восток" if east else "Экология-Запад"}[topic]
            text = rng.choice(topics[topic]) + (", восточная сторона" if east else ", западная сторона")
            if rng.random() < 0.2:
                text = f"<div><b>Обращение</b><br/>{text}&nbsp;</div>"
            if rng.random() < 0.05:
                text = ""
            has_point = rng.random() >= 0.25
            writer.writerow([agency, text, f"ЖКХ > {topic}" if rng.random() > 0.05 else "",
                             f"{lat:.6f}" if has_point else "", f"{lon:.6f}" if has_point else "",
                             ("Восточный" if east else "Западный") if rng.random() < 0.5 else ""])
        writer.writerow(["Прокуратура района", "Прошу проверить законность действий управляющей компании",
                         "Право", "", "", ""])
    return path


_PROVIDED: dict[str, Any] = {"rows": [], "labels": [], "times": []}


def provide(rows: list[RoutingRow], labels: list[Any], times: list[Any]) -> None:
    _PROVIDED.update(rows=rows, labels=labels, times=times)


def training_rows() -> tuple[list[RoutingRow], list[Any], list[Any]]:
    """The provider named in ``ROUTER_TRAINING_ROWS`` during tests."""
    return list(_PROVIDED["rows"]), list(_PROVIDED["labels"]), list(_PROVIDED["times"])
