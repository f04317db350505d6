"""Locust scenario of bench/cluster_load.py: citizens submit appeals and everyone reads the map.

A citizen (an API token) submits appeals (POST /api/v1/appeals/ with an ``Idempotency-Key``: a
submission whose answer was lost — the web node died under it — is sent again with the same key,
and the portal answers it once) and reads them back (the primary: read-your-writes). As many
visitors read the public map: the viewport's clusters (the replica) and a tile.

Configured by the environment (bench/cluster_load.py writes it):
LOAD_CONTEXT   JSON: {"tokens": [API tokens of citizens], "category": id, "points": [[lon, lat], ...],
               "bbox": "w,s,e,n", "tile": "/tiles/appeals/z/x/y.pbf"}
LOAD_ACCEPTED  a file; each accepted appeal appends "key id" (the proof nothing accepted is lost)
"""
from __future__ import annotations

import itertools
import json
import os
import random
import uuid
from typing import Any

from locust import HttpUser, between, task

CONTEXT: dict[str, Any] = json.loads(os.environ.get("LOAD_CONTEXT", "{}"))
ACCEPTED = os.environ.get("LOAD_ACCEPTED", "")
_tokens = itertools.cycle(CONTEXT.get("tokens", [""]))
_points = itertools.cycle(CONTEXT.get("points", [[44.0, 56.3]]))
TILE = CONTEXT.get("tile", "/tiles/appeals/13/5050/2560.pbf")


class Citizen(HttpUser):
    """Submits appeals and reads them back (the primary: its author just wrote)."""

    weight = 1
    wait_time = between(0, 0.05)

    def on_start(self) -> None:
        # Signed in once per citizen beforehand (a phone keeps its token): password hashing is
        # not what this load measures.
        self.client.headers["Authorization"] = f"Token {next(_tokens)}"
        self.mine: list[int] = []

    @task(1)
    def submit(self) -> None:
        lon, lat = next(_points)
        key = uuid.uuid4().hex
        body = {"category": CONTEXT["category"], "lat": lat, "lon": lon, "channel": "web",
                "text": f"Не горят фонари в парке у дорожки, темно вечером ({key[:8]})."}
        for attempt in range(5):  # an unconfirmed submission is sent again with the same key
            with self.client.post("/api/v1/appeals/", json=body, headers={"Idempotency-Key": key},
                                  name="POST /api/v1/appeals/", catch_response=True) as response:
                if response.status_code == 201:
                    appeal_id = int(response.json()["id"])
                    self.mine.append(appeal_id)
                    if ACCEPTED:
                        with open(ACCEPTED, "a", encoding="utf-8") as out:
                            out.write(f"{key} {appeal_id}\n")
                    return
                if response.status_code in (0, 502, 503, 504) and attempt < 4:
                    response.failure(f"unconfirmed ({response.status_code}), sent again")
                    continue
                response.failure(f"refused {response.status_code}: {response.text[:200]}")
                return

    @task(2)
    def own_appeal(self) -> None:
        if self.mine:
            self.client.get(f"/api/v1/appeals/{random.choice(self.mine)}/", name="GET /api/v1/appeals/{id}/")


class Visitor(HttpUser):
    """Anonymous: the public map's clusters (the replica) and a tile (Redis, else the replica)."""

    weight = 1
    wait_time = between(0, 0.05)

    @task(1)
    def public_clusters(self) -> None:
        self.client.get("/api/v1/clusters", params={"bbox": CONTEXT["bbox"], "z": "13"}, name="GET /api/v1/clusters")

    @task(1)
    def map_tile(self) -> None:
        self.client.get(TILE, name="GET /tiles/appeals/{z}/{x}/{y}.pbf")
