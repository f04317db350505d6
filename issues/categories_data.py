"""The starter category tree: our categories mapped onto the thematic classifier sections
(0002 social sphere, 0003 economy, 0004 security and law, 0005 housing and utilities), each
with its deadline rule and the rule-table agencies (short names, by priority; the one
competent at the point wins)."""
from __future__ import annotations

from typing import NamedTuple


class Leaf(NamedTuple):
    code: str
    name: str
    name_en: str
    classifier: str
    working_days: int | None  # None → 59-FZ 30 calendar days
    photo: bool
    agencies: tuple[str, ...]


DISTRICT_ADMIN = "@district"  # the administration of the district containing the point

TREE: list[tuple[str, str, str, list[Leaf]]] = [
    ("roads", "Дороги", "Roads", [
        Leaf("roads-potholes", "Ямы и выбоины на дороге", "Potholes", "0003.0009.0099.0696", 10, True, ("Комдорхоз",)),
        Leaf("roads-sidewalk", "Повреждение тротуара", "Damaged sidewalk", "0003.0009.0099.0696", 10, True,
             ("Комдорхоз",)),
        Leaf("roads-snow", "Неубранный снег на дороге", "Snow on the road", "0003.0009.0099.0696", 3, True,
             ("Комдорхоз",)),
        Leaf("roads-signs", "Дорожные знаки и разметка", "Road signs and markings", "0003.0009.0099.0696", 10, False,
             ("Комдорхоз",)),
        Leaf("roads-traffic-lights", "Неисправный светофор", "Broken traffic light", "0003.0009.0099.0696", 3, False,
             ("Комдорхоз",)),
    ]),
    ("yards", "Дворы и благоустройство", "Yards and public spaces", [
        Leaf("yard-cleaning", "Уборка двора", "Yard cleaning", "0005.0005.0055.1134", 8, True, (DISTRICT_ADMIN,)),
        Leaf("yard-snow", "Снег и наледь во дворе", "Snow and ice in the yard", "0005.0005.0055.1134", 3, True,
             (DISTRICT_ADMIN,)),
        Leaf("yard-playground", "Детская площадка", "Playground", "0005.0005.0055.1134", 10, True, (DISTRICT_ADMIN,)),
        Leaf("yard-parking", "Парковка на газоне", "Parking on the lawn", "0005.0005.0055.1134", 8, True,
             (DISTRICT_ADMIN,)),
    ]),
    ("lighting", "Освещение", "Street lighting", [
        Leaf("light-street", "Не горит уличный фонарь", "Street light out", "0005.0005.0055.1133", 5, True,
             ("Горсвет",)),
        Leaf("light-yard", "Нет освещения во дворе", "No light in the yard", "0005.0005.0055.1133", 5, True,
             ("Горсвет",)),
        Leaf("light-park", "Освещение в парке", "Park lighting", "0005.0005.0055.1133", 10, False, ("Горсвет",)),
    ]),
    ("waste", "Мусор и отходы", "Waste", [
        Leaf("waste-container", "Переполнены контейнеры", "Overflowing bins", "0005.0005.0056.1153", 3, True,
             ("Экология-Север", "Экология-Юг")),
        Leaf("waste-dump", "Несанкционированная свалка", "Illegal dump", "0003.0011.0125.0769", 10, True,
             ("Минэкологии",)),
        Leaf("waste-bulky", "Вывоз крупногабаритного мусора", "Bulky waste", "0005.0005.0056.1153", 5, False,
             ("Экология-Север", "Экология-Юг")),
    ]),
    ("heating", "Отопление и горячая вода", "Heating and hot water", [
        Leaf("heat-outage", "Отсутствие отопления", "No heating", "0005.0005.0056.1156", 3, False,
             ("Теплосеть-Север", "Теплосеть-Юг")),
        Leaf("heat-hot-water", "Нет горячей воды", "No hot water", "0005.0005.0056.1155", 3, False,
             ("Теплосеть-Север", "Теплосеть-Юг")),
        Leaf("heat-pipe", "Порыв теплотрассы", "Heating main burst", "0005.0005.0056.1156", 2, True,
             ("Теплосеть-Север", "Теплосеть-Юг")),
    ]),
    ("water", "Водоснабжение и канализация", "Water and sewerage", [
        Leaf("water-outage", "Нет холодной воды", "No cold water", "0005.0005.0056.1154", 2, False, ("Водоканал",)),
        Leaf("water-leak", "Утечка воды, прорыв трубы", "Water leak", "0005.0005.0056.1154", 2, True, ("Водоканал",)),
        Leaf("water-sewer", "Засор канализации", "Blocked sewer", "0005.0005.0056.1154", 3, False, ("Водоканал",)),
        Leaf("water-hatch", "Открытый люк", "Open manhole", "0005.0005.0056.1154", 1, True, ("Водоканал",)),
    ]),
    ("transport", "Общественный транспорт", "Public transport", [
        Leaf("transport-schedule", "Нарушение расписания", "Timetable not kept", "0003.0009.0097.0000", 10, False,
             ("Гортранс",)),
        Leaf("transport-stop", "Остановочный павильон", "Bus stop shelter", "0003.0009.0097.0000", 10, True,
             ("Гортранс",)),
        Leaf("transport-route", "Маршрутная сеть", "Route network", "0003.0009.0097.0000", None, False,
             ("Минтранс",)),
    ]),
    ("greenery", "Зелёные насаждения", "Greenery", [
        Leaf("green-tree", "Аварийное дерево", "Dangerous tree", "0005.0005.0055.1135", 5, True, ("Горзеленхоз",)),
        Leaf("green-mowing", "Покос травы", "Grass mowing", "0005.0005.0055.1135", 10, True, ("Горзеленхоз",)),
        Leaf("green-planting", "Озеленение и посадка деревьев", "Planting", "0005.0005.0055.1135", None, False,
             ("Горзеленхоз",)),
    ]),
    ("social", "Социальная поддержка", "Social support", [
        Leaf("social-benefits", "Социальные выплаты и льготы", "Benefits", "0002.0013.0141.0000", None, False,
             ("Минсоцполитики",)),
        Leaf("social-accessibility", "Доступная среда", "Accessibility", "0002.0013.0143.0000", None, True,
             ("Минсоцполитики",)),
        Leaf("social-elderly", "Помощь пожилым", "Help for the elderly", "0002.0013.0141.0000", None, False,
             ("Минсоцполитики",)),
    ]),
    ("health", "Здравоохранение", "Health care", [
        Leaf("health-clinic", "Работа поликлиники", "Clinic", "0002.0014.0144.0000", None, False, ("Минздрав",)),
        Leaf("health-medicine", "Лекарственное обеспечение", "Medicines", "0002.0014.0147.0000", None, False,
             ("Минздрав",)),
        Leaf("health-ambulance", "Работа скорой помощи", "Ambulance", "0002.0014.0144.0000", None, False,
             ("Минздрав",)),
    ]),
    ("education", "Образование", "Education", [
        Leaf("edu-kindergarten", "Места в детском саду", "Kindergarten places", "0002.0006.0062.0000", None, False,
             ("Минобр",)),
        Leaf("edu-school", "Работа школы", "Schools", "0002.0006.0063.0000", None, False, ("Минобр",)),
    ]),
    ("safety", "Безопасность и порядок", "Safety and public order", [
        Leaf("safety-order", "Нарушение общественного порядка", "Public order", "0004.0016.0164.0000", None, False,
             ("ГУ МВД",)),
        Leaf("safety-noise", "Шум в ночное время", "Night noise", "0004.0016.0164.0000", None, False, ("ГУ МВД",)),
    ]),
    ("housing", "Многоквартирные дома", "Apartment buildings", [
        Leaf("housing-roof", "Протечка кровли", "Leaking roof", "0005.0005.0054.1127", 10, True, ("ГЖИ",)),
        Leaf("housing-entrance", "Подъезд и лифт", "Entrance and lift", "0005.0005.0054.1127", 10, False, ("ГЖИ",)),
    ]),
]
