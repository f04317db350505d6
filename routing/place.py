"""Place: the district and the agencies competent at an appeal's point, for one appeal by PostGIS
(:func:`jurisdiction_for_point`) or for a training batch by one vectorised spatial join
(:class:`SpatialReference`, :func:`enrich_batch`); and the point as numbers for trees
(:func:`coordinate_block`)."""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from shapely.geometry.base import BaseGeometry

from .rows import RoutingRow

EARTH_RADIUS_M = 6_378_137.0


def jurisdiction_for_point(lon: float, lat: float) -> tuple[str | None, tuple[int, ...]]:
    """(district code, ids of active agencies competent at the point) for one appeal, by PostGIS.

    A point on a border between districts belongs to the one with the lowest id (as
    ``District.containing``); a point outside every district has no district but may still be
    inside some agency's jurisdiction polygon."""
    from django.contrib.gis.geos import Point

    from geoportal.models import Agency, District

    point = Point(lon, lat, srid=4326)
    district = District.containing(point)
    agency_ids = tuple(sorted(Agency.objects.active().serving(point).values_list("id", flat=True)))
    return (district.code if district else None), agency_ids


def enrich_row(row: RoutingRow) -> RoutingRow:
    """``row`` with district and jurisdiction filled from PostGIS when it has a point."""
    if not row.has_point:
        return row
    assert row.lon is not None and row.lat is not None
    district_code, agency_ids = jurisdiction_for_point(row.lon, row.lat)
    return replace(row, district_code=district_code or row.district_code, jurisdiction_agency_ids=agency_ids)


@dataclass
class SpatialReference:
    """Districts and agency areas held in memory for batch spatial joins.

    ``agencies`` holds each active agency's area: its jurisdiction polygon united with its
    districts, the same rule as ``Agency.objects.serving``."""

    districts: list[tuple[int, str, BaseGeometry]]  # (id, code, boundary), id decides border ties
    agencies: list[tuple[int, BaseGeometry]]

    @classmethod
    def from_db(cls) -> SpatialReference:
        import shapely

        from geoportal.models import Agency, District

        districts = [(d.pk, d.code, shapely.from_wkb(bytes(d.boundary.wkb)))
                     for d in District.objects.order_by("id")]
        by_id = {pk: geom for pk, _code, geom in districts}
        agencies: list[tuple[int, BaseGeometry]] = []
        for agency in Agency.objects.active().prefetch_related("districts").order_by("id"):
            parts = [by_id[d.pk] for d in agency.districts.all() if d.pk in by_id]
            if agency.jurisdiction is not None:
                parts.append(shapely.from_wkb(bytes(agency.jurisdiction.wkb)))
            if parts:
                agencies.append((agency.pk, shapely.union_all(parts)))
        return cls(districts, agencies)

    def join(self, lon: np.ndarray, lat: np.ndarray) -> tuple[list[str | None], list[tuple[int, ...]]]:
        """District code and agency ids for each point (NaN coordinates give nothing)."""
        import geopandas as gpd

        n = len(lon)
        district_codes: list[str | None] = [None] * n
        jurisdictions: list[tuple[int, ...]] = [()] * n
        valid = np.isfinite(lon) & np.isfinite(lat)
        if not valid.any():
            return district_codes, jurisdictions
        index = np.flatnonzero(valid)
        points = gpd.GeoDataFrame({"row": index}, geometry=gpd.points_from_xy(lon[valid], lat[valid]), crs=4326)
        if self.districts:
            frame = gpd.GeoDataFrame({"district_id": [d[0] for d in self.districts],
                                      "code": [d[1] for d in self.districts]},
                                     geometry=[d[2] for d in self.districts], crs=4326)
            hits = gpd.sjoin(points, frame, how="inner", predicate="intersects")
            # a point on a shared border intersects both districts: the lowest id wins
            hits = hits.sort_values(["row", "district_id"]).drop_duplicates("row")
            for row_index, code in zip(hits["row"].to_numpy(), hits["code"].to_numpy(), strict=True):
                district_codes[int(row_index)] = str(code)
        if self.agencies:
            frame = gpd.GeoDataFrame({"agency_id": [a[0] for a in self.agencies]},
                                     geometry=[a[1] for a in self.agencies], crs=4326)
            hits = gpd.sjoin(points, frame, how="inner", predicate="intersects").sort_values(["row", "agency_id"])
            grouped: dict[int, list[int]] = {}
            for row_index, agency_id in zip(hits["row"].to_numpy(), hits["agency_id"].to_numpy(), strict=True):
                grouped.setdefault(int(row_index), []).append(int(agency_id))
            for row_index, ids in grouped.items():
                jurisdictions[row_index] = tuple(ids)
        return district_codes, jurisdictions


def enrich_batch(rows: Sequence[RoutingRow], reference: SpatialReference | None = None) -> list[RoutingRow]:
    """Rows with district and jurisdiction filled by one vectorised spatial join.

    Rows without coordinates keep what they had (a district typed in a CSV, for example); the
    reference is loaded from the database once when not given."""
    if not rows:
        return []
    lon = np.array([r.lon if r.has_point else np.nan for r in rows], dtype=float)
    lat = np.array([r.lat if r.has_point else np.nan for r in rows], dtype=float)
    if not np.isfinite(lon).any():
        return list(rows)
    reference = reference or SpatialReference.from_db()
    codes, jurisdictions = reference.join(lon, lat)
    out: list[RoutingRow] = []
    for row, code, agencies in zip(rows, codes, jurisdictions, strict=True):
        if row.has_point:
            row = replace(row, district_code=code, jurisdiction_agency_ids=agencies)
        out.append(row)
    return out


def _mercator(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = EARTH_RADIUS_M * np.radians(lon)
    y = EARTH_RADIUS_M * np.log(np.tan(np.pi / 4 + np.radians(np.clip(lat, -85, 85)) / 2))
    return x, y


def coordinate_block(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """lat, lon, Web Mercator x/y and the projected point on rotated axes (n × 10).

    Axis-aligned trees cut lat/lon and x/y identically (each is a monotone function of the
    other), so rotated projections are what let a tree follow a diagonal border cheaply.
    Missing points are all zeros (far from any real territory); a flag column marks them."""
    x, y = _mercator(lon, lat)
    cols = [lat, lon, x, y]
    for degrees in (30, 45, 60, 120, 135, 150):
        angle = math.radians(degrees)
        cols.append(x * math.cos(angle) + y * math.sin(angle))
    block = np.column_stack(cols)
    block[~np.isfinite(block)] = 0.0
    return block


# --------------------------------------------------------------------------- neighbours

@dataclass
class Neighbours:
    """For each row, its nearest past appeals: their agencies (-1 pads), weights (0 pads) and
    distances in km, overall (``all_*``) and among appeals of the same category (``same_*``)."""

    all_labels: np.ndarray
    all_weights: np.ndarray
    all_km: np.ndarray
    same_labels: np.ndarray
    same_weights: np.ndarray
    same_km: np.ndarray

    def votes(self, pair_row: np.ndarray, pair_class: np.ndarray, near_km: float) -> np.ndarray:
        """Per pair (row, agency): the agency's weighted share among the row's neighbours and how
        many neighbours within ``near_km`` went to it, overall and in the same category (pairs × 4;
        NaN shares for rows without a point or without neighbours)."""
        out = np.full((len(pair_row), 4), np.nan)
        for j, (labels, weights, km) in enumerate(((self.all_labels, self.all_weights, self.all_km),
                                                   (self.same_labels, self.same_weights, self.same_km))):
            match = labels[pair_row] == pair_class[:, None]
            total = weights[pair_row].sum(axis=1)
            has = total > 0
            out[has, 2 * j] = (weights[pair_row] * match).sum(axis=1)[has] / total[has]
            out[has, 2 * j + 1] = (match & (km[pair_row] <= near_km)).sum(axis=1)[has]
        return out


class PlaceNeighbours:
    """Where past appeals near a point went: a KD-tree over the training points (km on a local
    plane), one for all and one per category. The same house or yard usually has the same
    keeper, which no district-level table can tell."""

    def __init__(self, k: int = 20, k_same: int = 10) -> None:
        self.k = k
        self.k_same = k_same

    def _xy(self, rows: Sequence[RoutingRow]) -> np.ndarray:
        lat = np.array([r.lat if r.has_point else np.nan for r in rows], dtype=float)
        lon = np.array([r.lon if r.has_point else np.nan for r in rows], dtype=float)
        return np.column_stack([lat * 110.57, lon * 111.32 * self.cos_lat_])

    @staticmethod
    def _category(row: RoutingRow) -> str | None:
        return row.category_path[0] if row.category_path else row.category_code

    def fit(self, rows: Sequence[RoutingRow], y: np.ndarray, fold_of: np.ndarray | None = None) -> Neighbours:
        """Remember the training points; return the training rows' own neighbours, taken only
        from the other folds when ``fold_of`` is given."""
        lats = [float(r.lat) for r in rows if r.has_point and r.lat is not None]
        self.cos_lat_ = math.cos(math.radians(float(np.median(lats)))) if lats else 1.0
        xy = self._xy(rows)
        self.labels_ = y.astype(np.int64)
        has = np.isfinite(xy).all(axis=1)
        categories = np.array([self._category(r) or "" for r in rows], dtype=object)
        self.trees_: dict[str | None, tuple[Any, np.ndarray]] = {}
        if has.any():
            self.trees_[None] = self._tree(xy, np.flatnonzero(has))
            for code in np.unique(categories[has]):
                self.trees_[code] = self._tree(xy, np.flatnonzero(has & (categories == code)))
        folds = int(fold_of.max()) + 1 if fold_of is not None else 1
        if fold_of is None or folds < 2:
            return self.query(rows)
        found = self._empty(len(rows))
        for k in range(folds):
            out = fold_of == k
            fit_rows = has & ~out
            self._fill(found, 0, xy, np.flatnonzero(out & has), np.flatnonzero(fit_rows), self.k)
            for code in np.unique(categories[out & has]):
                same = categories == code
                self._fill(found, 1, xy, np.flatnonzero(out & has & same), np.flatnonzero(fit_rows & same),
                           self.k_same)
        return Neighbours(*found)

    def _tree(self, xy: np.ndarray, members: np.ndarray) -> tuple[Any, np.ndarray]:
        from sklearn.neighbors import KDTree

        return KDTree(xy[members], leaf_size=40), members

    def _empty(self, n: int) -> list[np.ndarray]:
        return [np.full((n, self.k), -1, dtype=np.int64), np.zeros((n, self.k)), np.full((n, self.k), np.inf),
                np.full((n, self.k_same), -1, dtype=np.int64), np.zeros((n, self.k_same)),
                np.full((n, self.k_same), np.inf)]

    def _fill(self, found: list[np.ndarray], part: int, xy: np.ndarray, query: np.ndarray, members: np.ndarray,
              k: int, tree: Any = None) -> None:
        if not len(query) or not len(members):
            return
        if tree is None:
            tree = self._tree(xy, members)[0]
        k = min(k, len(members))
        km, at = tree.query(xy[query], k=k)
        base = 3 * part
        found[base][query, :k] = self.labels_[members[at]]
        found[base + 1][query, :k] = 1.0 / (km + 0.05)  # nearer counts more; 50 m is "the same house"
        found[base + 2][query, :k] = km

    def query(self, rows: Sequence[RoutingRow]) -> Neighbours:
        """Neighbours of new rows among all training points."""
        xy = self._xy(rows)
        has = np.isfinite(xy).all(axis=1)
        found = self._empty(len(rows))
        if None in self.trees_:
            tree, members = self.trees_[None]
            self._fill(found, 0, xy, np.flatnonzero(has), members, self.k, tree)
            categories = np.array([self._category(r) or "" for r in rows], dtype=object)
            for code in np.unique(categories[has]):
                if code in self.trees_:
                    tree, members = self.trees_[code]
                    self._fill(found, 1, xy, np.flatnonzero(has & (categories == code)), members, self.k_same, tree)
        return Neighbours(*found)
