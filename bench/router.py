"""Router benchmark: the router beside the models a city would otherwise use — LinearSVC (word
and char TF-IDF + one-hot codes), one decision tree (place, category, district, jurisdiction and
text stems) and the rule table — on the same time split and the same k folds, with fit time and
the median time to route one appeal.

    .venv/bin/python bench/router.py --csv ../shared/data/appeals/spb_dev.csv   # St Petersburg, see below
    .venv/bin/python bench/router.py --csv archive.csv --label agency --text text --category rubric \
        --lat lat --lon lon --time-column date --split time
    .venv/bin/python bench/router.py --csv ../shared/data/appeals/spb_dev.csv --rows 60000 --split none
    .venv/bin/python bench/router.py                         # synthetic city, 20k rows
    .venv/bin/python bench/router.py --archive --agencies 120  # synthetic archive: many agencies, HTML
    set -a; source var/services.env; set +a
    .venv/bin/python bench/router.py --demo-db --limit 100000  # the seeded demo region, read-only

With ``--csv`` and no column options the St Petersburg archive's columns are assumed (label
executor, text, category city_object,category,reason, lat/lon, district, time created_at).
``--rows N`` times training on N rows drawn with replacement from the data. Run it with
``OMP_NUM_THREADS=1`` on a shared machine.

The synthetic city has location-dependent ground truth (the same category goes to different
agencies by district, by river bank, by jurisdiction polygons crossing district borders), wrong
categories picked by citizens, ambiguous texts, HTML, English, and appeals without a point.
The synthetic and CSV modes do not touch the database and run without Django; ``--demo-db``
reads the seeded demo region from the database named by DATABASE_URL in a read-only session
(the appeals app's own training rows, oldest ``--limit`` first, time-based split) and also
times ``issues.routing_service.decide`` — the call inside the registration transaction — on
real appeals of the held-out window."""
from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from routing.evaluation import linear_baseline, majority_predict, score, time_split  # noqa: E402
from routing.features import RoutingRow, SpatialReference, enrich_batch  # noqa: E402
from routing.model import Router  # noqa: E402
from routing.tables import RuleTable  # noqa: E402

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
        # ground truth: needs location and jurisdiction
        if group == "roads":
            label = 1
            if code == "roads-potholes" and special[i] < 0.15:
                text, label = YARD_ROAD[int(rng.integers(2))], admin_ids[district]
        elif group == "yards" or code == "green-mowing":
            label = admin_ids[district]
        elif code == "light-yard":
            label = admin_ids[district] if in_north[i] else 2
        elif group == "lighting":
            label = 2
        elif code == "waste-container":
            label = 6 if in_north[i] else 7
        elif code == "waste-dump":
            label = 15
        elif group == "heating":
            label = 4 if district in HEAT_NORTH else 5
        elif code == "water-hatch":
            label = 3
            if special[i] < 0.3:
                text, label = STORM[int(rng.integers(2))], 1
        else:
            label = {"water": 3, "green": 8, "transport": 9, "social": 11, "health": 12, "edu": 13, "safety": 14,
                     "housing": 10}[group]
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


# --------------------------------------------------------------------------- measuring

def _median_ms(predict_one: Any, rows: list[RoutingRow], k: int = 200) -> float:
    """Median wall-clock ms of one call; the CPU-time median (less disturbed by other jobs on a
    shared machine) is kept in ``_median_ms.cpu``."""
    samples, cpu = [], []
    for row in rows[:k]:
        t0, c0 = time.perf_counter(), time.process_time()
        predict_one(row)
        samples.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    _median_ms.cpu = float(np.median(cpu)) * 1000  # type: ignore[attr-defined]
    return float(np.median(samples)) * 1000


def _tree_model(train_rows: list[RoutingRow], y_train: list[Any]) -> Any:
    """One DecisionTreeClassifier on the place, category, district, jurisdiction and text-stem columns."""
    from sklearn.tree import DecisionTreeClassifier

    from routing.features import FeatureBuilder

    classes = sorted(set(map(str, y_train)))
    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index[str(v)] for v in y_train])
    builder = FeatureBuilder(min_df=2 if len(train_rows) >= 200 else 1).fit(train_rows, y)
    tree = DecisionTreeClassifier(random_state=0).fit(builder.transform(train_rows), y)
    return lambda rows: [classes[i] for i in tree.predict(builder.transform(rows))]


def _linear_model(train_rows: list[RoutingRow], y_train: list[Any]) -> Any:
    return lambda rows: linear_baseline(train_rows, y_train, rows)


def run_models(train_rows: list[RoutingRow], y_train: list[Any], test_rows: list[RoutingRow],
               latency: bool = True) -> dict[str, dict[str, Any]]:
    """Each model fitted on the train rows: its test predictions, fit seconds, median ms per appeal."""
    out: dict[str, dict[str, Any]] = {}
    t0 = time.perf_counter()
    router = Router().fit(train_rows, y_train)
    fit = time.perf_counter() - t0
    labels, confidence = router.predict_labels(test_rows)
    out["router"] = {"pred": labels, "confidence": confidence, "fit": fit,
                     "ms": _median_ms(router.route, test_rows) if latency else math.nan, "model": router,
                     "cpu_ms": getattr(_median_ms, "cpu", math.nan) if latency else math.nan}
    for name, make in (("LinearSVC", _linear_model), ("one decision tree", _tree_model)):
        t0 = time.perf_counter()
        if name == "LinearSVC":  # fitted inside each call: time one fit + predict of the test rows
            pred = make(train_rows, y_train)(test_rows)
            out[name] = {"pred": pred, "fit": time.perf_counter() - t0, "ms": math.nan}
            continue
        model = make(train_rows, y_train)
        fit = time.perf_counter() - t0
        out[name] = {"pred": model(test_rows), "fit": fit,
                     "ms": _median_ms(lambda row, m=model: m([row]), test_rows) if latency else math.nan}
    t0 = time.perf_counter()
    rules = RuleTable().fit(train_rows, list(y_train))
    fit = time.perf_counter() - t0
    out["rule table"] = {"pred": rules.predict(test_rows), "fit": fit,
                         "ms": _median_ms(lambda row: rules.predict([row]), test_rows) if latency else math.nan}
    return out


def print_table(title: str, y_true: list[Any], results: dict[str, dict[str, Any]]) -> None:
    print(title)
    header = f"  {'model':20} {'accuracy':>9} {'macro-F1':>9} {'cov@95':>7} {'ECE':>6} {'fit s':>8} {'ms/appeal':>10}"
    print(header)
    for name, result in results.items():
        m = score(y_true, result["pred"], result.get("confidence"), per_agency=False)
        cov = f"{m['coverage_at_95']:7.3f}" if "coverage_at_95" in m else " " * 7
        ece = f"{m['calibration_error']:6.3f}" if "calibration_error" in m else " " * 6
        ms = "" if result["ms"] != result["ms"] else f"{result['ms']:.2f}"
        print(f"  {name:20} {m['accuracy']:9.3f} {m['macro_f1']:9.3f} {cov} {ece} {result['fit']:8.1f} {ms:>10}")


def time_split_bench(rows: list[RoutingRow], labels: list[Any], times: list[Any] | None, names: Any) -> None:
    if times is not None:
        train, test = time_split(len(rows), times)
        kind = "time split: train on the older 80%, test on the newest 20%"
    else:
        order = np.random.default_rng(0).permutation(len(rows))
        train, test = order[: int(len(rows) * 0.8)], order[int(len(rows) * 0.8):]
        kind = "random 80/20 split (no time column)"
    tr_rows, te_rows = [rows[i] for i in train], [rows[i] for i in test]
    y_tr, y_te = [labels[i] for i in train], [labels[i] for i in test]
    results = run_models(tr_rows, y_tr, te_rows)
    print_table(f"{kind} ({len(tr_rows):,} / {len(te_rows):,} rows; load average {os.getloadavg()[0]:.1f} on "
                f"{os.cpu_count()} cores)", y_te, results)
    router = results["router"]["model"]
    print(f"  router, one appeal (route: text, tables, neighbours, trees, explanation): median "
          f"{results['router']['ms']:.2f} ms wall, {results['router']['cpu_ms']:.2f} ms CPU")
    majority = majority_predict(y_tr, len(te_rows))
    m = score(y_te, majority, per_agency=False)
    print(f"  {'most frequent agency':20} {m['accuracy']:9.3f} {m['macro_f1']:9.3f}")
    example = router.route(te_rows[0], names)
    print(f"  example: {example.agency_id} (confidence {example.confidence:.2f}, auto={example.auto}): "
          f"{example.explanation}")


def kfold_bench(rows: list[RoutingRow], labels: list[Any], folds: int) -> None:
    from sklearn.model_selection import KFold

    n = len(rows)
    predictions: dict[str, list[Any]] = {}
    confidence = np.zeros(n)
    fits: dict[str, float] = {}
    for train, test in KFold(folds, shuffle=True, random_state=0).split(np.zeros(n)):
        results = run_models([rows[i] for i in train], [labels[i] for i in train], [rows[i] for i in test],
                             latency=False)
        for name, result in results.items():
            predictions.setdefault(name, [None] * n)
            for j, i in enumerate(test):
                predictions[name][i] = result["pred"][j]
            fits[name] = fits.get(name, 0.0) + result["fit"] / folds
        confidence[test] = results["router"]["confidence"]
    combined = {name: {"pred": pred, "fit": fits[name], "ms": math.nan,
                       **({"confidence": confidence} if name == "router" else {})}
                for name, pred in predictions.items()}
    print_table(f"{folds}-fold cross-validation ({n:,} rows; fit s = mean per fold; load average "
                f"{os.getloadavg()[0]:.1f})", labels, combined)


def training_time(rows: list[RoutingRow], labels: list[Any], n: int) -> None:
    draw = np.random.default_rng(1).integers(0, len(rows), n)
    big_rows = [replace(rows[i], appeal_id=k) for k, i in enumerate(draw)]
    big_labels = [labels[i] for i in draw]
    marks: list[tuple[str, float]] = []
    t0, cpu0 = time.perf_counter(), time.process_time()
    router = Router().fit(big_rows, big_labels, progress=lambda step: marks.append((step, time.perf_counter())))
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    marks.append(("end", time.perf_counter()))
    steps = ", ".join(f"{name} {end - start:.0f} s" for (name, start), (_next, end) in zip(marks, marks[1:], strict=False))
    print(f"training on {n:,} rows (drawn with replacement from {len(rows):,}): {wall:.1f} s wall, {cpu:.1f} s CPU "
          f"({steps}; {len(router.classes_)} agencies; OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '-')}, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")


def demo_database(limit: int) -> tuple[list[RoutingRow], list[Any], list[Any], Any]:
    """The seeded demo region: the rows ``train_router`` would train on, in a read-only session."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geoportal.settings")
    os.environ.setdefault("DEBUG", "1")  # this process reads the demo settings (no SECRET_KEY needed)
    import django

    django.setup()
    from django.db import connection

    from issues.routing_data import training_rows
    from routing.registry import display_names

    with connection.cursor() as cursor:  # nothing in this bench may write to the demo database
        cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    t0 = time.perf_counter()
    rows, labels, times = training_rows(limit=limit)
    loaded = time.perf_counter() - t0
    t0 = time.perf_counter()
    rows = enrich_batch(rows)
    print(f"read {len(rows):,} appeals in {loaded:.1f} s, spatial join {time.perf_counter() - t0:.1f} s")
    return rows, labels, times, display_names()


def registration_latency(router: Router, appeal_ids: list[int]) -> tuple[float, float]:
    """Median and 90th percentile seconds of ``issues.routing_service.decide(appeal)`` — what
    ``route_appeal`` adds inside the registration transaction — with ``router`` served as the
    active version (the registry still runs its per-call query for the active version)."""
    from issues.models import Appeal
    from issues.routing_service import decide
    from routing import registry
    from routing.models import RouterModel

    loaded = registry._Loaded(-1, 0, router, registry.display_names())
    real_active = registry._active

    def active() -> Any:
        RouterModel.objects.filter(is_active=True).values_list("pk", "version").first()
        return loaded

    registry._active = active  # type: ignore[assignment]
    samples = []
    try:
        for appeal in Appeal.objects.select_related("category", "district").filter(pk__in=appeal_ids):
            t0 = time.perf_counter()
            decision = decide(appeal)
            samples.append(time.perf_counter() - t0)
            assert decision.source == "model"
    finally:
        registry._active = real_active  # type: ignore[assignment]
    return float(np.median(samples)), float(np.percentile(samples, 90))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--csv")
    parser.add_argument("--label")
    parser.add_argument("--text")
    parser.add_argument("--category")
    parser.add_argument("--lat")
    parser.add_argument("--lon")
    parser.add_argument("--district")
    parser.add_argument("--time-column")
    parser.add_argument("--encoding", default="utf-8")
    parser.add_argument("--delimiter", default=",")
    parser.add_argument("--split", choices=("both", "time", "kfold", "none"), default="both")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--archive", action="store_true", help="synthetic archive instead of the synthetic city")
    parser.add_argument("--demo-db", action="store_true",
                        help="the seeded demo region from DATABASE_URL (read-only), time-based split")
    parser.add_argument("--limit", type=int, default=100_000, help="--demo-db: the oldest LIMIT appeals")
    parser.add_argument("--agencies", type=int, default=120)
    parser.add_argument("--n", type=int, default=20_000, help="rows of synthetic data")
    parser.add_argument("--rows", type=int, default=0, help="also time training on this many rows")
    args = parser.parse_args()

    times: list[Any] | None = None
    names: Any = None
    labels: list[Any]
    if args.csv:
        from routing.csvdata import CsvColumns, read_csv

        spb = not args.label  # no columns named: the St Petersburg archive's
        columns = CsvColumns(args.label or "executor", args.text or ("text" if spb else None),
                             args.category or ("city_object,category,reason" if spb else None),
                             args.lat or ("lat" if spb else None), args.lon or ("lon" if spb else None),
                             args.district or ("district" if spb else None),
                             args.time_column or ("created_at" if spb else None))
        data = read_csv(args.csv, columns, args.encoding, args.delimiter)
        rows, labels, times = data.rows, list(data.labels), data.times
        source = f"CSV {args.csv}"
    elif args.demo_db:
        rows, labels, times, names = demo_database(args.limit)
        source = f"demo database, oldest {args.limit:,} routed appeals"
    elif args.archive:
        from routing.csvdata import category_path

        frame = synthetic_archive(args.n, args.agencies)
        rows = []
        for i, rec in enumerate(frame.itertuples()):
            path = category_path(rec.category)
            rows.append(RoutingRow(i, rec.text, path[0] if path else None, path,
                                   float(rec.lat) if rec.lat else None, float(rec.lon) if rec.lon else None,
                                   rec.district or None))
        labels = list(frame["agency"])
        source = f"synthetic archive, {args.agencies} agencies"
    else:
        rows, labels, times, names = synthetic_city(args.n)
        source = "synthetic city (location-dependent truth)"
    print(f"== router bench: {source}, {len(rows):,} rows, {len(set(labels))} agencies")
    if args.split in ("both", "time"):
        time_split_bench(rows, labels, times, names)
    if args.split in ("both", "kfold"):
        kfold_bench(rows, labels, args.folds)
    if args.rows:
        training_time(rows, labels, args.rows)


if __name__ == "__main__":
    main()
