"""A map user's session replayed against our tile server and against tipg serving the same
table: what a person on the map waits for and downloads, viewport by viewport.

    set -a; source var/services.env; set +a
    .venv/bin/pip install -e '.[bench]'      # tipg + uvicorn + pycurl
    .venv/bin/python bench/map_session.py [--viewports 30] [--connections 6] [--seed 22] [--no-tipg]

The walk is seeded (same seed, same walk): it starts over the busiest part of the city at z12
and then, 30 times in all, pans by up to a viewport and zooms in or out by one within z12–z16,
staying where the appeals are. A viewport is a desktop map, 1280 × 800 px of 256-px tiles
(24–30 tiles); its tiles are fetched by 6 parallel kept-alive connections (what a browser opens
per host), with ``Accept-Encoding: br, gzip`` as browsers send it. A viewport's time is from its
first request to its last byte; its bytes are what came over the wire (headers and body as sent,
i.e. compressed).

Our server: ``scripts/web.sh`` (granian, 1 worker process, 2 threads, the production WSGI entry
with the tile fast path), the tables ready; "cold" is the walk with an empty tile cache (the
layer's generation bumped first; the low zooms are pre-seeded as after a rebuild, since that is
what users meet), "warm" the same walk again. tipg 1.2.1 (uvicorn, 1 worker) serves
``issues_appeal`` with a CQL2 filter for public appeals and the same three attributes; it has no
tile cache, so its walk is timed once.

The first citywide view: the tiles of the z11 view over the city centre, bytes on the wire."""
from __future__ import annotations

import argparse
import io
import math
import os
import random
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geoportal.settings")
# never touch the demo's cached tiles (BENCH_CACHE_PREFIX: a run of its own on a shared Redis)
os.environ["CACHE_KEY_PREFIX"] = os.environ.get("BENCH_CACHE_PREFIX", "bench-session")

import django  # noqa: E402

django.setup()

try:
    import pycurl  # bench extra
except ImportError:
    sys.exit("pycurl is missing: .venv/bin/pip install -e '.[bench]'")
from django.conf import settings  # noqa: E402
from django.db.models import F  # noqa: E402

from bench.servers import exit_on_sigterm, free_port, start_tipg, start_web  # noqa: E402
from bench.tile_client import tile_tables_current  # noqa: E402

os.environ["CACHE_KEY_PREFIX"] = os.environ.get("BENCH_CACHE_PREFIX", "bench-session")  # the servers share ours
from issues.models import Appeal  # noqa: E402
from tiles import aggregates, cache, conf, preseed  # noqa: E402
from tiles.grid import Tile, lonlat_to_mercator, tile_width  # noqa: E402

VIEWPORT = (1280, 800)
ZOOMS = (12, 16)
ACCEPT_ENCODING = "br, gzip"
TIPG_CQL = ("is_public = true AND duplicate_of_id IS NULL AND status IN ("
            + ",".join(f"'{s}'" for s in ("registered", "routed", "accepted", "in_progress", "answered", "closed"))
            + ")")


@dataclass
class Viewport:
    z: int
    x: float  # centre, EPSG:3857
    y: float

    def tiles(self) -> list[Tile]:
        width = tile_width(self.z)
        metres_per_px = width / 256
        half_w, half_h = VIEWPORT[0] / 2 * metres_per_px, VIEWPORT[1] / 2 * metres_per_px
        origin = 20037508.342789244
        x0 = int((self.x - half_w + origin) // width)
        x1 = int((self.x + half_w + origin) // width)
        y0 = int((origin - (self.y + half_h)) // width)
        y1 = int((origin - (self.y - half_h)) // width)
        return [Tile(self.z, x, y) for y in range(y0, y1 + 1) for x in range(x0, x1 + 1)]


@dataclass
class Measured:
    ms: list[float] = field(default_factory=list)
    wire_bytes: list[int] = field(default_factory=list)
    raw_bytes: list[int] = field(default_factory=list)
    tiles: int = 0


def seeded_walk(count: int, seed: int) -> list[Viewport]:
    """Pans and zooms that stay over appeals: each step moves towards a random appeal of a
    sample by up to one viewport, and zooms by −1, 0 or +1 within z12–z16."""
    rng = random.Random(seed)
    # About 2,000 appeals, every n-th id, picked in the database (a stepped slice of a queryset
    # would fetch every appeal into Python first: minutes and gigabytes at 10M).
    step = max(1, Appeal.objects.count() // 2000)
    sample = list(Appeal.objects.public().filter(location__isnull=False).annotate(slot=F("id") % step)
                  .filter(slot=0).order_by("id").values_list("location", flat=True))
    anchors = [lonlat_to_mercator(p.x, p.y) for p in sample]
    cx = statistics.median(a[0] for a in anchors)
    cy = statistics.median(a[1] for a in anchors)
    walk = [Viewport(ZOOMS[0], cx, cy)]
    while len(walk) < count:
        last = walk[-1]
        z = min(max(last.z + rng.choice((-1, 0, 1, 1)), ZOOMS[0]), ZOOMS[1])
        tx, ty = rng.choice(anchors)
        metres_per_px = tile_width(z) / 256
        step = VIEWPORT[0] * metres_per_px
        dx, dy = tx - last.x, ty - last.y
        distance = math.hypot(dx, dy) or 1.0
        move = min(distance, step * rng.uniform(0.3, 1.0))
        walk.append(Viewport(z, last.x + dx / distance * move, last.y + dy / distance * move))
    return walk


class Client:
    """Parallel kept-alive connections: one libcurl handle per worker thread."""

    def __init__(self, connections: int) -> None:
        self.pool = ThreadPoolExecutor(max_workers=connections)
        self.local = threading.local()

    def _handle(self) -> Any:
        handle = getattr(self.local, "handle", None)
        if handle is None:
            handle = self.local.handle = pycurl.Curl()
            handle.setopt(pycurl.TIMEOUT, 600)
            handle.setopt(pycurl.NOSIGNAL, 1)
            handle.setopt(pycurl.HTTPHEADER, [f"Accept-Encoding: {ACCEPT_ENCODING}"])
            handle.setopt(pycurl.HTTP_CONTENT_DECODING, 0)  # count the bytes as they came
        return handle

    def get(self, url: str) -> tuple[int, int, int, str]:
        """(status, bytes on the wire, body bytes, content-encoding)."""
        handle = self._handle()
        body, headers = io.BytesIO(), io.BytesIO()
        handle.setopt(pycurl.URL, url)
        handle.setopt(pycurl.WRITEDATA, body)
        handle.setopt(pycurl.HEADERFUNCTION, headers.write)
        handle.perform()
        status = int(handle.getinfo(pycurl.RESPONSE_CODE))
        head = headers.getvalue()
        coding = ""
        for line in head.decode("latin-1").split("\r\n"):
            if line.lower().startswith("content-encoding:"):
                coding = line.split(":", 1)[1].strip()
        return status, len(head) + len(body.getvalue()), len(body.getvalue()), coding

    def viewport(self, urls: list[str]) -> tuple[float, int]:
        """(ms from the first request to the last byte, bytes on the wire)."""
        started = time.perf_counter()
        answers = list(self.pool.map(self.get, urls))
        elapsed = (time.perf_counter() - started) * 1000
        for url, (status, *_rest) in zip(urls, answers, strict=True):
            if status != 200:
                raise RuntimeError(f"{url}: HTTP {status}")
        return elapsed, sum(a[1] for a in answers)

    def close(self) -> None:
        self.pool.shutdown()


def our_url(port: int, tile: Tile) -> str:
    return f"http://127.0.0.1:{port}/tiles/appeals/{tile.z}/{tile.x}/{tile.y}.pbf"


def tipg_url(port: int, tile: Tile) -> str:
    from urllib.parse import urlencode

    query = urlencode({"properties": "id,status,category_id", "filter": TIPG_CQL, "filter-lang": "cql2-text",
                       "limit": 10000000})
    return (f"http://127.0.0.1:{port}/collections/public.{Appeal._meta.db_table}/tiles/WebMercatorQuad/"
            f"{tile.z}/{tile.x}/{tile.y}?{query}")


def replay(client: Client, walk: list[Viewport], url: Any) -> Measured:
    measured = Measured()
    for view in walk:
        tiles = view.tiles()
        elapsed, wire = client.viewport([url(t) for t in tiles])
        measured.ms.append(elapsed)
        measured.wire_bytes.append(wire)
        measured.tiles += len(tiles)
    return measured


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def citywide_view() -> list[Tile]:
    lat, lon = settings.MAP_DEFAULT_CENTER
    x, y = lonlat_to_mercator(lon, lat)
    return Viewport(11, x, y).tiles()


def describe(name: str, m: Measured) -> str:
    kb = [b / 1024 for b in m.wire_bytes]
    return (f"{name:<22} {pct(m.ms, 0.5):8.0f} {pct(m.ms, 0.95):8.0f} {max(m.ms):8.0f} {sum(m.ms) / 1000:8.2f} "
            f"{pct(kb, 0.5):9.0f} {pct(kb, 0.95):9.0f} {max(kb):9.0f} {sum(kb) / 1024:9.1f}")


def print_goals(cold: Measured, warm: Measured, first_bytes: int) -> None:
    print("\n== Against the issue's goals ==")
    print(f"viewport bytes on the wire p95: {pct(cold.wire_bytes, 0.95) / 1024:.0f} KB (goal ≤ 1024 KB); "
          f"max {max(cold.wire_bytes) / 1024:.0f} KB; whole walk {sum(cold.wire_bytes) / 1024 / 1024:.1f} MB "
          "(anchor: 226 MB before compression and thinning at 1M)")
    print(f"first citywide view: {first_bytes / 1024:.1f} KB (goal ≤ 100 KB)")
    print(f"viewport p95 cold: {pct(cold.ms, 0.95):.0f} ms (goal ≤ 300 ms); warm {pct(warm.ms, 0.95):.0f} ms",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--viewports", type=int, default=30)
    parser.add_argument("--connections", type=int, default=6)
    parser.add_argument("--seed", type=int, default=22, help="seed of the walk")
    parser.add_argument("--no-tipg", action="store_true")
    parser.add_argument("--tipg-viewports", type=int, default=0,
                        help="replay only the first N viewports on tipg (at 10M its dense tiles take seconds each); "
                             "ours is compared on the same N")
    parser.add_argument("--rebuild-aggregates", action="store_true", help="rebuild the tile tables first")
    parser.add_argument("--no-rebuild", action="store_true",
                        help="only read the database: take the tile tables as they are (a shared database)")
    args = parser.parse_args()
    exit_on_sigterm()
    if args.viewports < 1 or args.connections < 1 or args.tipg_viewports < 0:
        parser.error("--viewports and --connections must be at least 1")
    public = Appeal.objects.public().filter(location__isnull=False).count()
    if not public:
        sys.exit("No public appeals: run manage.py seed_demo --appeals N first.")
    if args.rebuild_aggregates or not tile_tables_current():
        if args.no_rebuild:
            sys.exit("the tile tables do not count the current public appeals, and --no-rebuild forbids rebuilding them")
        started = time.perf_counter()
        aggregates.rebuild_all()
        print(f"tile tables rebuilt in {time.perf_counter() - started:.1f} s")
    cache.mark_aggregates_ready()
    walk = seeded_walk(args.viewports, args.seed)
    print(f"appeals: {Appeal.objects.count()} ({public} public with a point); walk: {len(walk)} viewports "
          f"{VIEWPORT[0]}×{VIEWPORT[1]} px, zooms {sorted({v.z for v in walk})}, {args.connections} connections, "
          f"Accept-Encoding: {ACCEPT_ENCODING}")
    print(f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())} before", flush=True)
    port, tipg_port = free_port(), free_port()
    web = start_web(port)
    tipg_proc, why_not = (None, "skipped (--no-tipg)") if args.no_tipg else start_tipg(tipg_port)
    client = Client(args.connections)
    try:
        cache.bump_layer("appeals")  # an empty cache, then what a rebuild leaves: the low zooms pre-seeded
        seeded = preseed.preseed()
        city = citywide_view()
        first_ms, first_bytes = client.viewport([our_url(port, t) for t in city])
        cold = replay(client, walk, lambda t: our_url(port, t))
        warm = replay(client, walk, lambda t: our_url(port, t))
        print(f"\npre-seeded after the rebuild: {seeded} tiles (z0–z{conf.preseed_max_zoom()}); point tiles thinned "
              f"above {conf.point_tile_max_points()} points")
        print(f"first citywide view: z11, {len(city)} tiles, {first_bytes / 1024:.1f} KB on the wire, "
              f"{first_ms:.0f} ms   (goal ≤ 100 KB)")
        print(f"\n{'server':<22} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'total s':>8} {'p50 KB':>9} {'p95 KB':>9} "
              f"{'max KB':>9} {'total MB':>9}")
        print(describe("ours cold", cold))
        print(describe("ours warm", warm), flush=True)  # before tipg's walk, which takes minutes at 10M
        print_goals(cold, warm, first_bytes)
        tipg_walk = walk[:args.tipg_viewports or len(walk)]
        tipg = replay(client, tipg_walk, lambda t: tipg_url(tipg_port, t)) if tipg_proc else None
        print(f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())} after")
        if tipg:
            n = len(tipg_walk)  # ours on the very viewports tipg was timed on
            cold_n, warm_n = Measured(cold.ms[:n], cold.wire_bytes[:n]), Measured(warm.ms[:n], warm.wire_bytes[:n])
            print(describe("tipg 1.2.1", tipg))
            if n < len(walk):
                print(describe(f"ours cold, first {n}", cold_n))
                print(describe(f"ours warm, first {n}", warm_n))
            print(f"tipg / ours on the same {n} viewports: p95 {pct(tipg.ms, 0.95) / pct(cold_n.ms, 0.95):.1f}× cold, "
                  f"{pct(tipg.ms, 0.95) / pct(warm_n.ms, 0.95):.1f}× warm; whole walk "
                  f"{sum(tipg.ms) / sum(cold_n.ms):.1f}× cold, {sum(tipg.ms) / sum(warm_n.ms):.1f}× warm (goal ≥ 10×); "
                  f"bytes {sum(tipg.wire_bytes) / max(1, sum(cold_n.wire_bytes)):.0f}× ours")
        else:
            print(f"tipg: {why_not}")
    finally:
        client.close()
        for proc in (web, tipg_proc):
            if proc is not None:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except Exception:  # noqa: BLE001 - a stuck server is killed
                    proc.kill()
        keys = list(cache.client().scan_iter(match=f"{cache._prefix()}*", count=1000))
        if keys:
            cache.client().delete(*keys)


if __name__ == "__main__":
    main()
