"""The need score's appeal counter over the appeals app (``issues.Appeal``), registered with
:mod:`projects.need` by ``ProjectsConfig.ready`` when the appeals app is installed.

One statement: the GiST index on the appeal's point narrows the search to a box around the
project (in degrees, a little wider than the radius), then ``ST_DWithin`` on geography keeps
the appeals truly within the radius in metres of the project's point, line or polygon
(``bench/need_score.py`` times it against the plain query)."""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

from django.contrib.gis.geos import GEOSGeometry
from django.db import connection
from django.db.models import Q

from issues.models import Category, Status

# appeals that are not a need of their own: spam and duplicates merged into another one
NOT_COUNTED = (Status.REJECTED, Status.MERGED)
METRES_PER_DEGREE = 111_320.0


def _margin_degrees(geometry: GEOSGeometry, radius_m: float) -> float:
    """A box margin in degrees that surely covers ``radius_m`` at the geometry's latitude."""
    extent = geometry.extent
    latitude = max(abs(extent[1]), abs(extent[3]))
    cos = max(math.cos(math.radians(min(latitude, 89.0))), 0.01)
    return radius_m / (METRES_PER_DEGREE * cos) * 1.01


def category_ids(codes: Sequence[str]) -> list[int]:
    """The categories with these codes and their subcategories (the tree is two levels deep;
    three are covered)."""
    return list(Category.objects.filter(Q(code__in=codes) | Q(parent__code__in=codes)
                                        | Q(parent__parent__code__in=codes)).values_list("id", flat=True))


# The box runs first on its own (a materialised CTE): given the category and date conditions
# too, the planner ANDs their bitmaps over hundreds of thousands of rows, which costs far more
# than checking the few thousand appeals in the box.
COUNT_SQL = """
WITH boxed AS MATERIALIZED (
    SELECT category_id, received_at, status, location FROM issues_appeal WHERE location && ST_GeomFromEWKB(%(box)s)
)
SELECT count(*) FROM boxed
WHERE category_id = ANY(%(categories)s) AND received_at >= %(since)s AND NOT (status = ANY(%(excluded)s))
  AND ST_DWithin(location::geography, ST_GeomFromEWKB(%(geometry)s)::geography, %(radius)s)
"""


def count_appeals(geometry: GEOSGeometry, radius_m: float, codes: Sequence[str], since: dt.datetime) -> int:
    """Appeals of the given categories (and their subcategories) received since ``since``
    within ``radius_m`` metres of ``geometry`` (WGS84)."""
    ids = category_ids(codes)
    if not ids:
        return 0
    box = geometry.envelope.buffer(_margin_degrees(geometry, radius_m)).envelope
    box.srid = 4326
    with connection.cursor() as cursor:
        cursor.execute(COUNT_SQL, {"box": bytes(box.ewkb), "categories": ids, "since": since,
                                   "excluded": [str(s) for s in NOT_COUNTED], "geometry": bytes(geometry.ewkb),
                                   "radius": float(radius_m)})
        return int(cursor.fetchone()[0])
