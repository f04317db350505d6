"""``manage.py import_districts FILE --name-field F [--code-field C] [--population-field P]``.

Reads GeoJSON, GeoPackage or Shapefile with geopandas, reprojects to WGS84, repairs invalid
geometries and writes all districts in one transaction, or nothing with a clear message."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.text import slugify

from geoportal.geometry import to_multipolygon
from geoportal.models import District


class Command(BaseCommand):
    help = "Import district boundaries from a GeoJSON, GeoPackage or Shapefile."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--name-field", required=True)
        parser.add_argument("--code-field")
        parser.add_argument("--population-field")
        parser.add_argument("--layer", help="layer name inside a GeoPackage")

    def handle(self, *args: Any, **options: Any) -> None:
        import geopandas as gpd
        import shapely

        path = Path(options["file"])
        if not path.exists():
            raise CommandError(f"{path}: no such file")
        try:
            frame = gpd.read_file(path, layer=options["layer"]) if options["layer"] else gpd.read_file(path)
        except Exception as exc:  # noqa: BLE001 - every reader error becomes a readable message
            raise CommandError(f"{path}: cannot read as a vector file ({exc})") from exc
        if frame.empty:
            raise CommandError(f"{path}: the file holds no features")
        fields = [options["name_field"], options["code_field"], options["population_field"]]
        missing = [f for f in fields if f and f not in frame.columns]
        if missing:
            available = ", ".join(c for c in frame.columns if c != "geometry")
            raise CommandError(f"{path}: no field {', '.join(missing)}; the file has: {available}")
        if frame.crs is None:
            self.stderr.write("warning: the file declares no CRS; assuming WGS84 (EPSG:4326)")
            frame = frame.set_crs(4326)
        frame = frame.to_crs(4326)
        bad_types = sorted({t for t in frame.geom_type.dropna().unique() if t not in ("Polygon", "MultiPolygon")})
        if frame.geometry.isna().any() or bad_types:
            rows = [int(i) + 1 for i in frame.index[frame.geometry.isna() | ~frame.geom_type.isin(
                ["Polygon", "MultiPolygon"])][:10]]
            raise CommandError(
                f"{path}: only polygons can be districts; features {rows} are "
                f"{', '.join(bad_types) or 'empty'}"
            )
        repaired = 0
        rows_to_write: list[tuple[str, str, int, Any]] = []
        seen_codes: set[str] = set()
        for position, row in enumerate(frame.itertuples(index=False), start=1):
            geom = row.geometry
            if not shapely.is_valid(geom):
                geom = shapely.make_valid(geom)
                repaired += 1
            name = str(getattr(row, options["name_field"]) or "").strip()
            if not name:
                raise CommandError(f"{path}: feature {position} has an empty {options['name_field']}")
            code_value = getattr(row, options["code_field"]) if options["code_field"] else None
            code = slugify(str(code_value or ""), allow_unicode=False) or slugify(name) or f"district-{position}"
            if code in seen_codes:
                raise CommandError(f"{path}: feature {position}: code {code!r} repeats")
            seen_codes.add(code)
            population = 0
            if options["population_field"]:
                try:
                    population = int(getattr(row, options["population_field"]) or 0)
                except (TypeError, ValueError) as exc:
                    raise CommandError(f"{path}: feature {position}: population is not a number") from exc
            multipolygon = to_multipolygon(geom)
            if multipolygon.empty:
                raise CommandError(f"{path}: feature {position}: geometry is empty after repair")
            rows_to_write.append((name, code, population, multipolygon))
        with transaction.atomic():
            for name, code, population, boundary in rows_to_write:
                District.objects.update_or_create(
                    code=code, defaults={"name": name, "population": population, "boundary": boundary}
                )
        self.stdout.write(self.style.SUCCESS(
            f"imported {len(rows_to_write)} districts ({repaired} geometries repaired)"
        ))
