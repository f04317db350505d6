"""``manage.py import_appeals --csv PATH --mapping FILE``: load a region's archive of handled
appeals as closed appeals, so the router can learn from it.

The mapping is a JSON object naming the CSV columns, e.g.::

    {"text": "Текст", "category": "Рубрика", "agency": "Исполнитель", "received_at": "Дата",
     "lat": "Широта", "lon": "Долгота", "address": "Адрес", "result": "Результат",
     "answered_at": "Дата ответа", "channel": "Канал", "encoding": "utf-8", "delimiter": ";",
     "date_format": "%d.%m.%Y"}

``category`` matches a category code or name, ``agency`` an agency short name or full name.
``category`` may also list several columns, broad to narrow (``["city_object", "category",
"reason"]``): the path is matched level by level by name. With ``"create_categories": true`` and
``"create_agencies": true`` a region's own classifier and executors are created on first sight
(so an archive whose names differ from ours still loads); ``district`` names a column matched to a
district by name or code, used when the point lies in no loaded district. README, «Importing a
region's archive», shows the mapping for St Petersburg's archive.
Every row is validated; bad rows are reported with their line numbers and skipped, the good
ones are written in one transaction with their event history (marked as imported)."""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import html
import json
import re
from pathlib import Path
from typing import Any

from django.contrib.gis.geos import Point
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from geoportal.models import Agency, AgencyKind, District
from issues.actions import next_number
from issues.deadlines import MOSCOW
from issues.models import Appeal, AppealEvent, Category, Channel, DeadlineRule, Result, Status

REQUIRED = ("text", "category", "agency", "received_at")
TAG = re.compile(r"<[^>]+>")
RESULT_WORDS = {"поддержано, меры приняты": Result.MEASURES_TAKEN, "меры приняты": Result.MEASURES_TAKEN,
                "поддержано": Result.SUPPORTED, "разъяснено": Result.EXPLAINED, "не поддержано": Result.NOT_SUPPORTED}


class RowError(Exception):
    pass


class Command(BaseCommand):
    help = "Import an archive of handled appeals (CSV) as closed appeals."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--csv", required=True, dest="csv_path")
        parser.add_argument("--mapping", required=True)
        parser.add_argument("--dry-run", action="store_true", help="validate only, write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        mapping = self._mapping(Path(options["mapping"]))
        path = Path(options["csv_path"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        self.create_categories = bool(mapping.get("create_categories"))
        self.create_agencies = bool(mapping.get("create_agencies"))
        # one transaction for everything, categories and agencies made on the way included: a dry
        # run rolls it all back, a failure leaves nothing half-imported
        with transaction.atomic():
            good, bad = self._read(path, mapping)
            for line, message in bad:
                self.stderr.write(f"line {line}: {message}")
            if options["dry_run"]:
                transaction.set_rollback(True)
                self.stdout.write(f"{len(good)} rows valid, {len(bad)} rows rejected (dry run: nothing written)")
                return
            category_objects = {c.pk: c for c in Category.objects.all()}
            for _line, fields in good:
                self._write(fields, category_objects[fields["category_id"]])
        self.stdout.write(self.style.SUCCESS(f"imported {len(good)} appeals; rejected {len(bad)} rows"))

    def _read(self, path: Path, mapping: dict[str, Any]) -> tuple[list[tuple[int, dict[str, Any]]],
                                                                   list[tuple[int, str]]]:
        categories = self._lookup(Category.objects.values_list("id", "code", "name"))
        self.category_paths = {self._path_key(c): c.pk for c in Category.objects.all()}
        self.category_codes = dict(Category.objects.values_list("code", "pk"))
        agencies = self._lookup(Agency.objects.values_list("id", "short_name", "name"))
        self.districts = self._lookup(District.objects.values_list("id", "code", "name"))
        good: list[tuple[int, dict[str, Any]]] = []
        bad: list[tuple[int, str]] = []
        try:
            with path.open(encoding=mapping.get("encoding", "utf-8-sig"), newline="") as handle:
                reader = csv.DictReader(handle, delimiter=mapping.get("delimiter", ","))
                wanted = [c for k in (*REQUIRED, "district") for c in self._columns(mapping.get(k))]
                missing = [c for c in wanted if c not in (reader.fieldnames or [])]
                if missing:
                    raise CommandError(f"{path}: no column {', '.join(missing)}; the file has: "
                                       f"{', '.join(reader.fieldnames or [])}")
                for row in reader:
                    line = reader.line_num
                    try:
                        good.append((line, self._parse(row, mapping, categories, agencies)))
                    except RowError as exc:
                        bad.append((line, str(exc)))
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path}: not in encoding {mapping.get('encoding', 'utf-8')} ({exc})") from exc
        return good, bad

    @staticmethod
    def _mapping(path: Path) -> dict[str, Any]:
        try:
            mapping = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise CommandError(f"{path}: no such mapping file") from exc
        except json.JSONDecodeError as exc:
            raise CommandError(f"{path}: the mapping is not valid JSON ({exc})") from exc
        if not isinstance(mapping, dict):
            raise CommandError(f"{path}: the mapping must be a JSON object")
        missing = [k for k in REQUIRED if not mapping.get(k)]
        if missing:
            raise CommandError(f"{path}: the mapping must name columns for {', '.join(missing)}")
        return mapping

    @staticmethod
    def _lookup(rows: Any) -> dict[str, int]:
        table: dict[str, int] = {}
        for pk, *names in rows:
            for name in names:
                table[str(name).strip().lower()] = pk
        return table

    @staticmethod
    def _columns(value: Any) -> list[str]:
        """The CSV columns a mapping entry names: one column, or a list (a category path)."""
        if not value:
            return []
        return [str(v) for v in value] if isinstance(value, list) else [str(value)]

    @staticmethod
    def _path_key(category: Category) -> tuple[str, ...]:
        return tuple(c.name.strip().lower() for c in reversed(category.lineage()))

    def _category(self, row: dict[str, str | None], mapping: dict[str, Any], categories: dict[str, int]) -> int:
        """The category of a row: by code or name (one column), or by its path of names (several
        columns, broad to narrow), created level by level with ``create_categories``."""
        columns = self._columns(mapping.get("category"))
        names = [(row.get(c) or "").strip() for c in columns]
        if len(columns) == 1:
            found = categories.get(names[0].lower())
            if found is None and self.create_categories and names[0]:
                found = categories[names[0].lower()] = self._path_category([names[0]])
            if found is None:
                raise RowError(f"unknown category {names[0]!r}")
            return found
        path = [n for n in names if n]
        if not path:
            raise RowError("no category")
        found = self.category_paths.get(tuple(n.lower() for n in path))
        if found is None and self.create_categories:
            found = self._path_category(path)
        if found is None:
            raise RowError(f"unknown category {' > '.join(path)!r}")
        return found

    def _path_category(self, path: list[str]) -> int:
        """The category at ``path`` (names, broad to narrow), creating missing levels."""
        parent: int | None = None
        for depth in range(1, len(path) + 1):
            key = tuple(n.lower() for n in path[:depth])
            found = self.category_paths.get(key)
            if found is None:
                # the code comes from the whole path, so a name cut to 200 characters is still found
                digest = hashlib.sha1(" > ".join(key).encode(), usedforsecurity=False).hexdigest()[:12]
                code = f"import-{digest}"
                found = self.category_codes.get(code)
                if found is None:
                    found = self.category_codes[code] = Category.objects.create(
                        code=code, name=path[depth - 1][:200], parent_id=parent).pk
                self.category_paths[key] = found
            parent = found
        assert parent is not None
        return parent

    @staticmethod
    def _new_agency(name: str) -> int:
        short = name[:100]
        if Agency.objects.filter(short_name=short).exists():  # a long name cut to an existing short one
            short = name[:89] + "…" + hashlib.sha1(name.encode(), usedforsecurity=False).hexdigest()[:10]
        return Agency.objects.create(name=name[:300], short_name=short, kind=AgencyKind.OTHER).pk

    @staticmethod
    def _date(value: str, fmt: str | None) -> dt.datetime:
        value = value.strip()
        try:
            # naive values are Moscow time; the zone is attached just below
            parsed = dt.datetime.strptime(value, fmt) if fmt else dt.datetime.fromisoformat(value)  # noqa: DTZ007
        except ValueError as exc:
            raise RowError(f"date {value!r} does not match {fmt or 'ISO 8601'}") from exc
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=MOSCOW)

    def _parse(self, row: dict[str, str | None], mapping: dict[str, Any], categories: dict[str, int],
               agencies: dict[str, int]) -> dict[str, Any]:
        def cell(key: str) -> str:
            column = mapping.get(key)
            return (row.get(column) or "").strip() if column else ""

        text = html.unescape(TAG.sub(" ", cell("text")))
        text = re.sub(r"\s+", " ", text).strip()
        if len(text) < 10:
            raise RowError("text is empty or shorter than 10 characters")
        category_id = self._category(row, mapping, categories)
        agency_name = cell("agency")
        agency_id = agencies.get(agency_name.lower())
        if agency_id is None and self.create_agencies and agency_name:
            agency_id = agencies[agency_name.lower()] = self._new_agency(agency_name)
        if agency_id is None:
            raise RowError(f"unknown agency {agency_name!r}")
        received = self._date(cell("received_at"), mapping.get("date_format"))
        if received > timezone.now():
            raise RowError("received_at is in the future")
        answered = self._date(cell("answered_at"), mapping.get("date_format")) if cell("answered_at") else None
        if answered and answered < received:
            raise RowError("answered_at is before received_at")
        location = None
        if cell("lat") or cell("lon"):
            try:
                lat, lon = float(cell("lat").replace(",", ".")), float(cell("lon").replace(",", "."))
            except ValueError as exc:
                raise RowError("lat/lon are not numbers") from exc
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise RowError("lat/lon out of range")
            location = Point(lon, lat, srid=4326)
        address = cell("address")
        if location is None and not address:
            address = "адрес не указан (архив)"
        channel = cell("channel").lower() or Channel.PAPER
        if channel not in Channel.values:
            raise RowError(f"unknown channel {channel!r}; use one of {', '.join(Channel.values)}")
        if location is None and channel in (Channel.WEB, Channel.MOBILE, Channel.OPEN311):
            channel = Channel.PAPER  # archives rarely keep points; a missing one must not lose the row
        result = RESULT_WORDS.get(cell("result").lower(), cell("result").lower() or Result.EXPLAINED)
        if result not in Result.values:
            raise RowError(f"unknown result {cell('result')!r}")
        return {"text": text, "category_id": category_id, "agency_id": agency_id, "received_at": received,
                "district_id": self.districts.get(cell("district").lower()) if cell("district") else None,
                "answered_at": answered or received + dt.timedelta(days=10), "location": location,
                "address": address, "channel": channel, "result": result}

    @staticmethod
    def _write(fields: dict[str, Any], category: Category) -> Appeal:
        from issues.deadlines import compute_deadline

        received = fields["received_at"]
        working = category.deadline_days if category.deadline_rule == DeadlineRule.WORKING_DAYS else None
        appeal = Appeal.objects.create(
            number=next_number(received), channel=fields["channel"], category=category, text=fields["text"],
            location=fields["location"], address=fields["address"],
            district=(District.containing(fields["location"]) if fields["location"] is not None else None)
            or (District.objects.get(pk=fields["district_id"]) if fields["district_id"] else None),
            responsible_agency_id=fields["agency_id"], status=Status.CLOSED, received_at=received,
            registered_at=received, routed_at=received,
            deadline_at=compute_deadline(received, working_days=working, calendar_days=None if working else 30),
            answered_at=fields["answered_at"], closed_at=fields["answered_at"], result=fields["result"],
            answer_text="(ответ из архива)", location_source="pin" if fields["location"] is not None else "address",
        )
        history = [("submit", "", Status.SUBMITTED, received),
                   ("register", Status.SUBMITTED, Status.REGISTERED, received),
                   ("route", Status.REGISTERED, Status.ROUTED, received),
                   ("answer", Status.ROUTED, Status.ANSWERED, fields["answered_at"]),
                   ("close", Status.ANSWERED, Status.CLOSED, fields["answered_at"])]
        AppealEvent.objects.bulk_create([
            AppealEvent(appeal=appeal, kind=kind, from_status=src, to_status=dst, created_at=when,
                        data={"imported": True, "agency_id": fields["agency_id"]} if kind == "route" else
                        {"imported": True}, is_public=False)
            for kind, src, dst, when in history])
        return appeal
