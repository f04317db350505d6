"""The full picture: hotspots, rising topics, repeat locations, heat map."""
from __future__ import annotations

from .common import CTES, category_name, public_clause


def simple_where(alias: str, *, public: bool, category: bool, district: bool) -> list[str]:
    where = []
    if public:
        where.append(public_clause(alias))
    if category:
        where.append(f"{alias}.category_id IN (SELECT id FROM category_filter)")
    if district:
        where.append(f"{alias}.district_id = (SELECT id FROM geoportal_district WHERE code = %(district)s::text)")
    return where


def hotspots_sql(*, public: bool, category: bool, district: bool, english: bool = False) -> str:
    """Clusters of appeals received in [since, until) by ST_ClusterDBSCAN in %(srid)s (metres),
    with their size, centre, hull, radius, district and the three dominant categories, and the
    minpoints used (``floor``: at least %(minpoints)s, raised with the window's density; a row
    without a cluster, ``cid`` NULL, when there is none)."""
    where = " AND ".join(["a.location IS NOT NULL", "a.received_at >= %(since)s", "a.received_at < %(until)s",
                          *simple_where("a", public=public, category=category, district=district)])
    ctes = [CTES["category_filter"]] if category else []
    name = category_name("c", english=english)
    return f"""WITH RECURSIVE {''.join(c + ', ' for c in ctes)}pts AS (
        SELECT a.id, a.category_id, ST_Transform(a.location, %(srid)s) AS geom
          FROM issues_appeal a WHERE {where}
    ), floor AS (
        -- minpoints, raised to ``density`` times the points an eps-disc holds on average over the
        -- territory (the districts' area): a hotspot stays denser than the region around it however
        -- many appeals there are (at 10M, 20 points in 100 m made the whole city one cluster)
        SELECT GREATEST(%(minpoints)s, ceil(%(density)s * (SELECT count(*) FROM pts) * pi() * %(eps)s * %(eps)s
                        / NULLIF((SELECT sum(ST_Area(ST_Transform(d.boundary, %(srid)s))) FROM geoportal_district d), 0)
                       ))::int AS minpoints
    ), clustered AS (
        SELECT category_id, geom,
               ST_ClusterDBSCAN(geom, eps := %(eps)s, minpoints := (SELECT minpoints FROM floor)) OVER () AS cid
          FROM pts
    ), clusters AS (
        SELECT cid, count(*) AS n, ST_Centroid(ST_Collect(geom)) AS centre, ST_Collect(geom) AS pts
          FROM clustered WHERE cid IS NOT NULL GROUP BY cid
    ), top AS (
        SELECT cid, category_id, count(*) AS n,
               row_number() OVER (PARTITION BY cid ORDER BY count(*) DESC, category_id) AS rn
          FROM clustered WHERE cid IS NOT NULL GROUP BY cid, category_id
    )
    SELECT cl.cid, cl.n, f.minpoints,
           ST_X(ST_Transform(cl.centre, 4326)) AS lon, ST_Y(ST_Transform(cl.centre, 4326)) AS lat,
           ST_MaxDistance(cl.centre, cl.pts) AS radius_m,
           ST_AsGeoJSON(ST_Transform(ST_ConvexHull(cl.pts), 4326), 6) AS hull,
           (SELECT d.name FROM geoportal_district d
             WHERE ST_Intersects(d.boundary, ST_Transform(cl.centre, 4326)) ORDER BY d.id LIMIT 1) AS district,
           (SELECT json_agg(json_build_object('category_id', t.category_id, 'category', {name}, 'count', t.n)
                            ORDER BY t.rn)
              FROM top t JOIN issues_category c ON c.id = t.category_id WHERE t.cid = cl.cid AND t.rn <= 3)
             AS dominant
      FROM floor f LEFT JOIN clusters cl ON true  -- one row with no cluster still says the minpoints used
     ORDER BY cl.n DESC NULLS LAST, cl.cid
     LIMIT %(limit)s"""


def rising_sql(years: int, *, public: bool, english: bool = False) -> str:
    """Per category: the count in the current window [start, end), in the same window of each of
    the ``years`` previous years (columns y1…), in the trailing span [trail_start, start), and the
    first appeal's time (for what history exists)."""
    seasonal = ",\n".join(f"count(*) FILTER (WHERE a.received_at >= %(y{k}_start)s AND a.received_at < %(y{k}_end)s)"
                          f" AS y{k}" for k in range(1, years + 1))
    where = " AND ".join(["a.received_at >= %(scan_start)s", "a.received_at < %(end)s",
                          *simple_where("a", public=public, category=False, district=False)])
    first_where = f"WHERE {public_clause('f')}" if public else ""
    return f"""WITH counts AS (
        SELECT a.category_id,
               count(*) FILTER (WHERE a.received_at >= %(start)s) AS current,
               {seasonal},
               count(*) FILTER (WHERE a.received_at >= %(trail_start)s AND a.received_at < %(start)s) AS trailing
          FROM issues_appeal a WHERE {where} GROUP BY a.category_id
    )
    SELECT counts.*, {category_name('c', english=english)} AS category,
           {category_name('p', english=english)} AS parent,
           (SELECT min(f.received_at) FROM issues_appeal f {first_where}) AS first_received
      FROM counts JOIN issues_category c ON c.id = counts.category_id
      LEFT JOIN issues_category p ON p.id = c.parent_id"""


def repeats_sql(*, public: bool, category: bool, english: bool = False) -> str:
    """Answered appeals after which the same category was reported again within %(radius)s metres
    and %(within)s after the answer; later reports received since %(since)s."""
    later_where = " AND ".join(["l.location IS NOT NULL", "l.received_at >= %(since)s", "l.duplicate_of_id IS NULL",
                                *simple_where("l", public=public, category=category, district=False)])
    earlier_public = f" AND {public_clause('e')}" if public else ""
    ctes = f"WITH RECURSIVE {CTES['category_filter']}\n" if category else ""
    return f"""{ctes}SELECT e.id, e.number, e.category_id, {category_name('c', english=english)} AS category,
           ST_X(e.location) AS lon,
           ST_Y(e.location) AS lat, e.answered_at, e.result, d.name AS district,
           count(*) AS repeats, min(l.received_at) AS first_repeat, max(l.received_at) AS last_repeat,
           (array_agg(l.number ORDER BY l.received_at))[1:10] AS later_numbers
      FROM issues_appeal l
      JOIN issues_appeal e
        ON e.category_id = l.category_id AND e.id <> l.id
       AND e.location && ST_Expand(l.location, %(expand_deg)s)
       AND ST_DWithin(e.location::geography, l.location::geography, %(radius)s)
       AND e.answered_at IS NOT NULL AND e.status = ANY(%(answered_statuses)s)
       AND l.received_at > e.answered_at AND l.received_at <= e.answered_at + %(within)s{earlier_public}
      JOIN issues_category c ON c.id = e.category_id
      LEFT JOIN geoportal_district d ON d.id = e.district_id
     WHERE {later_where}
     GROUP BY e.id, c.id, d.name
     ORDER BY count(*) DESC, max(l.received_at) DESC
     LIMIT %(limit)s"""


def heatmap_sql(*, public: bool, category: bool) -> str:
    """Counts on a %(cell)s-metre grid in %(srid)s; cell centres in WGS84."""
    where = " AND ".join(["a.location IS NOT NULL", "a.received_at >= %(since)s", "a.received_at < %(until)s",
                          *simple_where("a", public=public, category=category, district=False)])
    ctes = f"WITH RECURSIVE {CTES['category_filter']}\n" if category else ""
    return f"""{ctes}SELECT ST_X(ST_Transform(ST_SetSRID(ST_MakePoint(gx, gy), %(srid)s), 4326)) AS lon,
           ST_Y(ST_Transform(ST_SetSRID(ST_MakePoint(gx, gy), %(srid)s), 4326)) AS lat, n
      FROM (SELECT floor(ST_X(p) / %(cell)s) * %(cell)s + %(cell)s / 2.0 AS gx,
                   floor(ST_Y(p) / %(cell)s) * %(cell)s + %(cell)s / 2.0 AS gy, count(*) AS n
              FROM (SELECT ST_Transform(a.location, %(srid)s) AS p FROM issues_appeal a WHERE {where}) s
             GROUP BY 1, 2) g
     WHERE n >= %(min_count)s
     ORDER BY n DESC
     LIMIT %(limit)s"""
