"""Web Mercator tile arithmetic shared by the tile views, the cache invalidation and the
aggregate grid. Pure functions (Django only for the refusals' language).

The aggregate grid nests inside tiles: at zoom ``z`` each tile is split into
``CELLS_PER_TILE`` × ``CELLS_PER_TILE`` square cells, so a cell of zoom ``z`` is exactly four
cells of zoom ``z + 1`` and never straddles a tile border. Cell indices count from the
south-west corner of the Mercator square (x east, y north)."""
from __future__ import annotations

import math
from dataclasses import dataclass

from django.utils.translation import gettext as _

ORIGIN = 20037508.342789244  # half the width of the EPSG:3857 square, metres
WORLD = 2 * ORIGIN
CELLS_PER_TILE = 8
MAX_LAT = 85.0511287798066


@dataclass(frozen=True)
class Tile:
    z: int
    x: int
    y: int

    def key(self) -> str:
        return f"{self.z}/{self.x}/{self.y}"


class TileOutOfRange(ValueError):
    """z, x or y outside the tile matrix; the message names the field, in the active language
    (the fast path never answers with it: it hands such a request to Django, whose answer
    renders the message again in the request's language)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def check_tile(z: int, x: int, y: int, max_zoom: int) -> Tile:
    if not 0 <= z <= max_zoom:
        raise TileOutOfRange("z", _("Масштаб z должен быть от 0 до {max_zoom}.").format(max_zoom=max_zoom))
    limit = 1 << z
    if not 0 <= x < limit:
        raise TileOutOfRange("x", _("x должен быть от 0 до {last} на масштабе {z}.").format(last=limit - 1, z=z))
    if not 0 <= y < limit:
        raise TileOutOfRange("y", _("y должен быть от 0 до {last} на масштабе {z}.").format(last=limit - 1, z=z))
    return Tile(z, x, y)


# More digits than any valid z, x or y has (2**30 at z 30): a longer number is refused before
# int() — Python refuses to convert over 4,300 digits, which used to surface as a server 500.
MAX_TILE_DIGITS = 10


def parse_tile(z: str, x: str, y: str, max_zoom: int) -> Tile:
    """``check_tile`` of the path's strings: non-digits or absurdly long numbers are a 400."""
    for name, raw in (("z", z), ("x", x), ("y", y)):
        if not raw.isascii() or not raw.isdigit() or len(raw) > MAX_TILE_DIGITS:
            raise TileOutOfRange(name, _("{field} должно быть целым числом тайловой сетки.").format(field=name))
    return check_tile(int(z), int(x), int(y), max_zoom)


def tile_width(z: int) -> float:
    return WORLD / (1 << z)


def cell_size(z: int) -> float:
    return tile_width(z) / CELLS_PER_TILE


def lonlat_to_mercator(lon: float, lat: float) -> tuple[float, float]:
    lat = max(-MAX_LAT, min(MAX_LAT, lat))
    x = lon * ORIGIN / 180.0
    y = math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) * ORIGIN / math.pi
    return x, y


def mercator_to_lonlat(x: float, y: float) -> tuple[float, float]:
    lon = x * 180.0 / ORIGIN
    lat = math.degrees(2 * math.atan(math.exp(y * math.pi / ORIGIN)) - math.pi / 2)
    return lon, lat


def _indices(fraction: float, limit: int) -> list[int]:
    """Tile indices whose closed interval contains ``fraction`` (two on an exact border,
    because the SQL selection with ``&&`` is inclusive on both sides)."""
    base = math.floor(fraction)
    found = {min(max(base, 0), limit - 1)}
    if abs(fraction - round(fraction)) < 1e-9:
        edge = round(fraction)
        found.update(i for i in (edge - 1, edge) if 0 <= i < limit)
    return sorted(found)


def tiles_for_point(lon: float, lat: float, zooms: range) -> list[Tile]:
    """Every tile, at each zoom in ``zooms``, whose envelope contains the point."""
    x, y = lonlat_to_mercator(lon, lat)
    found: list[Tile] = []
    for z in zooms:
        width = tile_width(z)
        limit = 1 << z
        for tx in _indices((x + ORIGIN) / width, limit):
            for ty in _indices((ORIGIN - y) / width, limit):
                found.append(Tile(z, tx, ty))
    return found


def tile_bounds_lonlat(tile: Tile) -> tuple[float, float, float, float]:
    """west, south, east, north in degrees."""
    width = tile_width(tile.z)
    west, north = mercator_to_lonlat(-ORIGIN + tile.x * width, ORIGIN - tile.y * width)
    east, south = mercator_to_lonlat(-ORIGIN + (tile.x + 1) * width, ORIGIN - (tile.y + 1) * width)
    return west, south, east, north


def tile_cell_range(tile: Tile) -> tuple[int, int, int, int]:
    """Inclusive index ranges (ix_min, ix_max, iy_min, iy_max) of the tile's grid cells."""
    ix_min = tile.x * CELLS_PER_TILE
    iy_min = ((1 << tile.z) - 1 - tile.y) * CELLS_PER_TILE
    return ix_min, ix_min + CELLS_PER_TILE - 1, iy_min, iy_min + CELLS_PER_TILE - 1
