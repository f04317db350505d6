"""Need score: the platform's counter (GiST box on the appeal's point, then ST_DWithin on
geography) against the same count without the index-usable box (ST_DWithin on geography
alone, which no index on the geometry column serves), side by side on the same places.

    set -a; source var/services.env; set +a
    .venv/bin/python bench/need_score.py [--places 40] [--radius 500]

A third column times the box, categories and date in one WHERE (the planner then ANDs three
bitmaps over hundreds of thousands of rows): why the platform runs the box first on its own.
Read-only on the configured database (the seeded demo city). Places are appeal points picked
deterministically (every k-th appeal with a point), each used as a point and as a 200 m wide
square; the categories are those of a "roads" project. Every place's two counts must agree
(the script exits non-zero otherwise). Prints the data size, medians per query in ms and the
ratios to the platform's time."""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geoportal.settings")
os.environ.setdefault("DEBUG", "1")  # this process reads the demo settings (no SECRET_KEY needed)

import django  # noqa: E402

django.setup()

from django.contrib.gis.geos import GEOSGeometry  # noqa: E402
from django.db.models import BooleanField  # noqa: E402
from django.db.models.expressions import RawSQL  # noqa: E402
from django.utils import timezone  # noqa: E402

from issues.models import Appeal  # noqa: E402
from projects import need  # noqa: E402
from projects.need_appeals import NOT_COUNTED, category_ids, count_appeals  # noqa: E402


def naive(geometry: GEOSGeometry, radius_m: float, codes: tuple[str, ...], since: object) -> int:
    near = RawSQL("ST_DWithin(issues_appeal.location::geography, ST_GeomFromEWKB(%s)::geography, %s)",
                  (bytes(geometry.ewkb), float(radius_m)), output_field=BooleanField())
    return (Appeal.objects.filter(category_id__in=category_ids(codes), received_at__gte=since)
            .exclude(status__in=NOT_COUNTED).alias(near=near).filter(near=True).count())


def planner_choice(geometry: GEOSGeometry, radius_m: float, codes: tuple[str, ...], since: object) -> int:
    """The box, the categories and the date in one WHERE: the planner ANDs three bitmaps."""
    from projects.need_appeals import _margin_degrees

    box = geometry.envelope.buffer(_margin_degrees(geometry, radius_m)).envelope
    box.srid = 4326
    near = RawSQL("ST_DWithin(issues_appeal.location::geography, ST_GeomFromEWKB(%s)::geography, %s)",
                  (bytes(geometry.ewkb), float(radius_m)), output_field=BooleanField())
    return (Appeal.objects.filter(category_id__in=category_ids(codes), received_at__gte=since,
                                  location__bboverlaps=box)
            .exclude(status__in=NOT_COUNTED).alias(near=near).filter(near=True).count())


def timed(function: object, *args: object) -> tuple[int, float]:
    start = time.perf_counter()
    value = function(*args)  # type: ignore[operator]
    return value, (time.perf_counter() - start) * 1000


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--places", type=int, default=40)
    parser.add_argument("--radius", type=float, default=need.DEFAULT_RADIUS_M)
    args = parser.parse_args()
    total = Appeal.objects.count()
    with_point = Appeal.objects.exclude(location=None)
    step = max(with_point.count() // args.places, 1)
    ids = list(with_point.order_by("id").values_list("id", flat=True)[::step][:args.places])
    points = [p for p in Appeal.objects.filter(pk__in=ids).values_list("location", flat=True)]
    places: list[GEOSGeometry] = []
    for point in points:
        places.append(point)
        square = point.buffer(0.0009).envelope  # ~200 m wide, ~100 m tall at 56° N
        square.srid = 4326
        places.append(square)
    codes = need.RELATED_CATEGORIES["roads"]
    since = timezone.now() - need.WINDOW
    print(f"appeals: {total:,}; places: {len(places)} ({len(points)} points + squares); radius {args.radius:g} m; "
          f"categories {codes}")
    count_appeals(places[0], args.radius, codes, since)  # warm the cache for both
    naive(places[0], args.radius, codes, since)
    ours_ms, naive_ms, one_where_ms, counts = [], [], [], []
    for place in places:  # alternate, so all meet the same cache state
        ours, t_ours = timed(count_appeals, place, args.radius, codes, since)
        plain, t_naive = timed(naive, place, args.radius, codes, since)
        joint, t_joint = timed(planner_choice, place, args.radius, codes, since)
        if not ours == plain == joint:
            print(f"DISAGREE at {place.wkt[:60]}: platform {ours}, naive {plain}, one WHERE {joint}")
            return 1
        ours_ms.append(t_ours)
        naive_ms.append(t_naive)
        one_where_ms.append(t_joint)
        counts.append(ours)
    median_ours, median_naive = statistics.median(ours_ms), statistics.median(naive_ms)
    median_joint = statistics.median(one_where_ms)
    print(f"counts: median {statistics.median(counts):g}, max {max(counts)} (equal in all three forms)")
    print(f"platform (GiST box + geography ST_DWithin): median {median_ours:.1f} ms")
    print(f"naive (geography ST_DWithin only):          median {median_naive:.1f} ms")
    print(f"box+categories+date in one WHERE:           median {median_joint:.1f} ms")
    print(f"ratio naive/platform: {median_naive / median_ours:.1f}x; one WHERE/platform: "
          f"{median_joint / median_ours:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
