"""The synthetic data of ``bench/router.py``: a city whose ground truth needs the place (the same
category goes to different agencies by district, by river bank, by jurisdiction polygons crossing
district borders), and an archive the way regional archives look (many agencies, HTML, rows
without coordinates). Neither touches the database."""
from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from routing.features import RoutingRow, SpatialReference, enrich_batch

LON0, LAT0 = 44.0059, 56.3269
MSK = dt.timezone(dt.timedelta(hours=3))

# --------------------------------------------------------------------------- synthetic city

DISTRICTS = [("centralny", "Центральный", 0.0, 0.0), ("nagorny", "Нагорный", 0.07, -0.02),
             ("zarechny", "Заречный", -0.06, 0.045), ("sormovsky", "Сормовский", -0.13, 0.05),
             ("prioksky", "Приокский", 0.02, -0.06), ("sovetsky", "Советский", 0.12, 0.01),
             ("leninsky", "Ленинский", -0.09, -0.03), ("avtozavodsky", "Автозаводский", -0.04, -0.065),
             ("kanavinsky", "Канавинский", -0.03, 0.015)]
CITY_AGENCIES = {1: "Комдорхоз", 2: "Горсвет", 3: "Водоканал", 4: "Теплосеть-Север", 5: "Теплосеть-Юг",
                 6: "Экология-Север", 7: "Экология-Юг", 8: "Горзеленхоз", 9: "Гортранс", 10: "ГЖИ",
                 11: "Минсоцполитики", 12: "Минздрав", 13: "Минобр", 14: "ГУ МВД", 15: "Минэкологии"}
HEAT_NORTH = {"sormovsky", "kanavinsky", "zarechny"}
# code: (group, weight, winter factor, summer factor, texts)
CATEGORIES: dict[str, tuple[str, float, float, float, tuple[str, ...]]] = {
    "roads-potholes": ("roads", 9, 0.8, 1.3, ("Глубокая яма на проезжей части, пробили колесо",
                                              "Выбоины на дороге после зимы", "Провал асфальта на перекрёстке")),
    "roads-snow": ("roads", 4, 4, 0.02, ("Дорогу не чистят от снега, колея", "Гололёд на дороге, не посыпают")),
    "roads-sidewalk": ("roads", 3, 1, 1, ("Разрушен тротуар, не пройти с коляской", "Плитка на тротуаре шатается")),
    "yard-cleaning": ("yards", 6, 1, 1, ("Двор не убирают, кругом мусор и листья", "Во дворе грязь, дворника нет")),
    "yard-snow": ("yards", 4, 4, 0.02, ("Двор завален снегом, не выехать", "Наледь у подъезда, люди падают")),
    "yard-playground": ("yards", 2.5, 0.3, 1.8, ("Сломаны качели на детской площадке",
                                                  "Торчат болты на горке во дворе")),
    "light-street": ("lighting", 5, 1.5, 0.6, ("Не горит уличный фонарь", "На улице темно, фонари не работают")),
    "light-yard": ("lighting", 3, 1.5, 0.6, ("Во дворе нет освещения, темно вечером",
                                             "Не горит фонарь у подъезда во дворе")),
    "waste-container": ("waste", 6, 1, 1, ("Переполнены мусорные контейнеры, не вывозят",
                                           "Мусор не вывозили три дня")),
    "waste-dump": ("waste", 2, 0.6, 1.3, ("Несанкционированная свалка строительного мусора",
                                          "В лесополосе свалка")),
    "heat-outage": ("heating", 4, 3, 0.1, ("В квартире нет отопления, батареи холодные",
                                           "Холодно дома, отопление не включили")),
    "heat-hot-water": ("heating", 5, 0.8, 2, ("Нет горячей воды", "Горячая вода еле тёплая")),
    "water-leak": ("water", 2.5, 1, 1, ("Прорыв трубы, вода течёт по улице", "Утечка воды из колодца")),
    "water-hatch": ("water", 1.5, 1, 1, ("Открытый канализационный люк, опасно", "Сломана крышка люка")),
    "green-tree": ("green", 2, 0.6, 1.6, ("Аварийное дерево может упасть на машины", "Сухое дерево наклонилось")),
    "green-mowing": ("green", 2, 0.02, 3, ("Трава по пояс, не косят", "Заросли травой газоны")),
    "transport-stop": ("transport", 2, 1, 1, ("Разбит остановочный павильон", "Автобус не ходит по расписанию")),
    "social-benefits": ("social", 2, 1, 1, ("Не пришла компенсация за коммунальные услуги",
                                            "Прошу разъяснить право на льготу")),
    "health-clinic": ("health", 2.5, 1.2, 0.8, ("В поликлинике невозможно записаться к врачу",
                                                 "Огромные очереди в регистратуру")),
    "edu-kindergarten": ("edu", 1.5, 1, 1, ("Нет места в детском саду рядом с домом",
                                            "Очередь в детский сад не движется")),
    "safety-noise": ("safety", 2, 1, 1, ("Ночью шумят соседи", "Громкая музыка из кафе после 23 часов")),
    "housing-roof": ("housing", 2, 1.4, 0.8, ("Протекает крыша, заливает квартиру", "Течёт кровля после дождя")),
}
GROUP_NAMES = {"roads": "Дороги", "yards": "Дворы", "lighting": "Освещение", "waste": "Мусор",
               "heating": "Отопление", "water": "Вода", "green": "Озеленение", "transport": "Транспорт",
               "social": "Соцзащита", "health": "Здравоохранение", "edu": "Образование", "safety": "Порядок",
               "housing": "Жильё"}
CONFUSABLE = {"light-street": "light-yard", "light-yard": "light-street", "yard-snow": "roads-snow",
              "roads-snow": "yard-snow", "roads-potholes": "roads-sidewalk", "heat-hot-water": "water-leak",
              "waste-container": "yard-cleaning", "green-tree": "yard-cleaning", "water-hatch": "roads-potholes",
              "yard-cleaning": "waste-container"}
YARD_ROAD = ("Яма во дворе на внутриквартальном проезде", "Разбит проезд во дворе между домами")
STORM = ("Открыт люк ливнёвки на дороге", "Провалилась решётка ливневой канализации")
ENGLISH = {"roads-potholes": "Huge pothole on the road near the bus stop",
           "light-street": "Street light is broken, very dark at night",
           "waste-container": "Bins are overflowing, nobody collects the rubbish"}
AMBIGUOUS = ("Прошу принять меры, проблема не решается", "Обращаюсь повторно, помогите разобраться")
STREETS = ("ул. Минина", "ул. Белинского", "пр. Гагарина", "ул. Родионова", "ул. Ванеева", "ул. Горького",
           "ул. Культуры", "пр. Ленина", "ул. Бекетова", "ул. Костина")


def city_reference() -> tuple[SpatialReference, Any, dict[str, int]]:
    import shapely
    from shapely.geometry import MultiPoint, Point, Polygon, box

    outline = box(LON0 - 0.17, LAT0 - 0.085, LON0 + 0.17, LAT0 + 0.085)
    seeds = MultiPoint([(LON0 + dx, LAT0 + dy) for _c, _n, dx, dy in DISTRICTS])
    cells = shapely.voronoi_polygons(seeds, extend_to=outline.buffer(0.1))
    shapes = {}
    for code, _name, dx, dy in DISTRICTS:
        seed = Point(LON0 + dx, LAT0 + dy)
        shapes[code] = next(c for c in cells.geoms if c.contains(seed)).intersection(outline)
    river = [(LON0 - 0.3, LAT0 + 0.005), (LON0 - 0.1, LAT0 + 0.025), (LON0, LAT0 + 0.012),
             (LON0 + 0.1, LAT0 + 0.03), (LON0 + 0.3, LAT0 + 0.02)]
    north = outline.intersection(Polygon([*river, (LON0 + 0.3, LAT0 + 0.3), (LON0 - 0.3, LAT0 + 0.3)]))
    south = outline.difference(north)
    agencies: list[tuple[int, Any]] = [(a, outline) for a in (1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15)]
    agencies += [(4, shapely.union_all([shapes[c] for c in HEAT_NORTH])),
                 (5, shapely.union_all([s for c, s in shapes.items() if c not in HEAT_NORTH])),
                 (6, north), (7, south)]
    admin_ids = {code: 100 + i for i, (code, *_rest) in enumerate(DISTRICTS)}
    agencies += [(admin_ids[code], shapes[code]) for code in shapes]
    districts = [(i, code, shapes[code]) for i, (code, *_rest) in enumerate(DISTRICTS)]
    return SpatialReference(districts, sorted(agencies, key=lambda a: a[0])), north, admin_ids


def city_names(admin_ids: dict[str, int]) -> dict[str, dict[Any, str]]:
    agencies: dict[Any, str] = dict(CITY_AGENCIES)
    agencies.update({aid: f"Адм. {name}" for (code, name, *_r) in DISTRICTS for c, aid in admin_ids.items()
                     if c == code})
    categories = {code: code for code in CATEGORIES} | GROUP_NAMES
    return {"categories": categories, "districts": {c: n for c, n, *_r in DISTRICTS}, "agencies": agencies}


def _truth(code: str, group: str, text: str, district: str, in_north: bool, special: float,
           admin_ids: dict[str, int], rng: Any) -> tuple[int, str]:
    """The agency in charge of one synthetic appeal (it needs the place and the jurisdiction), and
    the text, which some special cases replace."""
    # ground truth: needs location and jurisdiction
    if group == "roads":
        label = 1
        if code == "roads-potholes" and special < 0.15:
            text, label = YARD_ROAD[int(rng.integers(2))], admin_ids[district]
    elif group == "yards" or code == "green-mowing":
        label = admin_ids[district]
    elif code == "light-yard":
        label = admin_ids[district] if in_north else 2
    elif group == "lighting":
        label = 2
    elif code == "waste-container":
        label = 6 if in_north else 7
    elif code == "waste-dump":
        label = 15
    elif group == "heating":
        label = 4 if district in HEAT_NORTH else 5
    elif code == "water-hatch":
        label = 3
        if special < 0.3:
            text, label = STORM[int(rng.integers(2))], 1
    else:
        label = {"water": 3, "green": 8, "transport": 9, "social": 11, "health": 12, "edu": 13, "safety": 14,
                 "housing": 10}[group]
    return label, text


def synthetic_city(n: int, seed: int = 0) -> tuple[list[RoutingRow], list[int], list[dt.datetime],
                                                   dict[str, dict[Any, str]]]:
    """Appeals with ground truth that needs location: see the module docstring."""
    import shapely

    rng = np.random.default_rng(seed)
    reference, north, admin_ids = city_reference()
    codes = list(CATEGORIES)
    start = dt.datetime(2023, 1, 1, tzinfo=MSK)
    days = rng.integers(0, 730, n)
    months = np.array([(start + dt.timedelta(days=int(d))).month for d in range(730)])[days]
    base = np.array([CATEGORIES[c][1] for c in codes])
    winter_f = np.array([CATEGORIES[c][2] for c in codes])
    summer_f = np.array([CATEGORIES[c][3] for c in codes])
    winter = np.isin(months, [11, 12, 1, 2, 3])
    summer = np.isin(months, [5, 6, 7, 8, 9])
    category_idx = np.empty(n, dtype=int)
    for mask, factor in ((winter, winter_f), (summer, summer_f), (~winter & ~summer, np.ones(len(codes)))):
        p = base * factor
        category_idx[mask] = rng.choice(len(codes), size=int(mask.sum()), p=p / p.sum())
    lon = LON0 + rng.uniform(-0.165, 0.165, n)
    lat = LAT0 + rng.uniform(-0.083, 0.083, n)
    districts, _ = reference.join(lon, lat)
    in_north = shapely.contains_xy(north, lon, lat)
    special = rng.random(n)
    no_point = rng.random(n) < 0.08
    rows: list[RoutingRow] = []
    labels: list[int] = []
    times: list[dt.datetime] = []
    channels = ("web", "mobile", "phone", "email", "paper")
    for i in range(n):
        code = codes[category_idx[i]]
        group, _w, _a, _b, texts = CATEGORIES[code]
        district = districts[i] or "centralny"
        text = texts[int(rng.integers(len(texts)))]
        label, text = _truth(code, group, text, district, bool(in_north[i]), float(special[i]), admin_ids, rng)
        chosen = code
        roll = rng.random()
        if roll < 0.12 and code in CONFUSABLE:
            chosen = CONFUSABLE[code]  # the citizen picked a wrong but plausible category
        if roll > 0.96:
            text = AMBIGUOUS[int(rng.integers(2))]
        elif code in ENGLISH and 0.9 < roll < 0.93:
            text = ENGLISH[code]
        text = f"{text}, {STREETS[int(rng.integers(len(STREETS)))]}, д. {int(rng.integers(1, 120))}"
        if 0.5 < roll < 0.55:
            text = f"<p>Здравствуйте!</p><p>{text}</p><br/><b>С уважением</b>"
        point = not no_point[i]
        rows.append(RoutingRow(
            appeal_id=i, text=text, category_code=chosen, category_path=(chosen, CATEGORIES[chosen][0]),
            lat=float(lat[i]) if point else None, lon=float(lon[i]) if point else None,
            district_code=None if point else (district if special[i] < 0.5 else None),
            channel=channels[int(rng.integers(len(channels)))] if point else "phone",
            received_at=start + dt.timedelta(days=int(days[i]), hours=int(rng.integers(8, 20)))))
        labels.append(label)
        times.append(rows[-1].received_at)  # type: ignore[arg-type]
    rows = enrich_batch(rows, reference)
    return rows, labels, times, city_names(admin_ids)


# --------------------------------------------------------------------------- synthetic archive

ARCHIVE_TOPICS: dict[str, tuple[str, ...]] = {code: texts for code, (*_r, texts) in CATEGORIES.items()}
INSTITUTIONS = (("школа", "edu-kindergarten", ("В школе № {k} холодно в классах", "Учитель школы № {k} грубит детям")),
                ("поликлиника", "health-clinic", ("В поликлинике № {k} не записаться к врачу",
                                                   "Регистратура поликлиники № {k} не отвечает")),
                ("детский сад", "edu-kindergarten", ("В детском саду № {k} протекает крыша",
                                                      "Детский сад № {k} закрыт на ремонт")))


def synthetic_archive(n: int, n_agencies: int = 120, seed: int = 0, missing_points: float = 0.3) -> Any:
    """A CSV-like frame the way regional archives look: many agencies (territorial ones that split
    each topic by area, institutions named by number in the text, a long tail with one or two
    appeals), Russian texts with HTML, a third of the rows without coordinates."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    topics = list(ARCHIVE_TOPICS)
    n_institutions = max(3, n_agencies // 3)
    n_territorial = max(len(topics), n_agencies - n_institutions)
    # territorial agencies: each topic is split among 1-4 agencies by nearest centre
    owners: dict[str, list[tuple[str, float, float]]] = {t: [] for t in topics}
    for k in range(n_territorial):
        topic = topics[k % len(topics)]
        owners[topic].append((f"Территориальное ведомство {k + 1}", LON0 + rng.uniform(-0.15, 0.15),
                              LAT0 + rng.uniform(-0.08, 0.08)))
    institutions = [(f"{INSTITUTIONS[k % 3][0].capitalize()} № {k + 1}", INSTITUTIONS[k % 3], k + 1)
                    for k in range(n_institutions)]
    inst_weights = 1 / np.arange(1, n_institutions + 1) ** 1.6  # Zipf: the tail gets one or two rows
    inst_share = 0.15
    streets = [(f"ул. {name}", LON0 + rng.uniform(-0.16, 0.16), LAT0 + rng.uniform(-0.08, 0.08))
               for name in ("Минина", "Белинского", "Гагарина", "Родионова", "Ванеева", "Горького", "Культуры",
                            "Ленина", "Бекетова", "Костина", "Полевая", "Луговая", "Садовая", "Школьная",
                            "Заводская", "Речная", "Новая", "Мира", "Победы", "Советская")]
    street_xy = np.array([(s[1], s[2]) for s in streets])
    records = []
    for _i in range(n):
        lon = LON0 + rng.uniform(-0.165, 0.165)
        lat = LAT0 + rng.uniform(-0.083, 0.083)
        district = f"Район {1 + int((lon - LON0 + 0.165) / 0.11)}-{1 + int((lat - LAT0 + 0.083) / 0.083)}"
        if rng.random() < inst_share:
            k = int(rng.choice(n_institutions, p=inst_weights / inst_weights.sum()))
            label, (_kind, topic, phrases), number = institutions[k]
            text = phrases[int(rng.integers(len(phrases)))].format(k=number)
            if rng.random() < 0.25:  # the number is not always written down
                text = ARCHIVE_TOPICS[topic][int(rng.integers(len(ARCHIVE_TOPICS[topic])))]
        else:
            topic = topics[int(rng.integers(len(topics)))]
            centres = owners[topic]
            nearest = min(centres, key=lambda c: (c[1] - lon) ** 2 + ((c[2] - lat) * 1.8) ** 2)
            label = nearest[0]
            text = ARCHIVE_TOPICS[topic][int(rng.integers(len(ARCHIVE_TOPICS[topic])))]
        if rng.random() < 0.7:  # the address names the nearest street
            s = int(np.argmin(((street_xy - (lon, lat)) ** 2).sum(axis=1)))
            text += f", {streets[s][0]}, д. {int(rng.integers(1, 90))}"
        roll = rng.random()
        if roll < 0.15:
            text = f"<div><p>Добрый день.</p><p>{text}</p><p>&nbsp;С уважением, житель</p></div>"
        elif roll > 0.97:
            text = ""
        category = topic if rng.random() > 0.1 else topics[int(rng.integers(len(topics)))]
        has_point = rng.random() >= missing_points
        records.append({"agency": label, "text": text,
                        "category": f"{CATEGORIES[category][0]} > {category}" if rng.random() > 0.05 else "",
                        "lat": f"{lat:.6f}" if has_point else "", "lon": f"{lon:.6f}" if has_point else "",
                        "district": district if rng.random() < 0.6 else ""})
    return pd.DataFrame.from_records(records)
