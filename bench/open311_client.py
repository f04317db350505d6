"""Drive a running portal's Open311 endpoint with an existing client library, ``georeport``
(PyPI, a GeoReport v2 wrapper that reads services, service definitions and requests in JSON or
XML), and with ``requests`` for what the library does not do (POST, tokens). The operator's
step, registering the appeal, goes through /api/v1/ with the operator's API key.

    .venv/bin/python bench/open311_client.py --base http://127.0.0.1:8766 \\
        --api-key CLIENT_KEY --operator-key OPERATOR_KEY

Only for a server on this machine (it refuses any other host). Prints each call and its answer."""
from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

import requests
from georeport import GeoReport

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def show(label: str, value: Any) -> None:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    print(f"{label}: {text[:600]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default="http://127.0.0.1:8766")
    parser.add_argument("--api-key", required=True, help="a client application's key (POST)")
    parser.add_argument("--operator-key", required=True, help="an operator's key (registers through /api/v1/)")
    parser.add_argument("--jurisdiction", default="geoportal.local")
    parser.add_argument("--lat", type=float, default=56.3269)
    parser.add_argument("--long", type=float, default=44.0059)
    args = parser.parse_args()
    if urlsplit(args.base).hostname not in LOCAL_HOSTS:
        parser.error("only a portal on this machine (127.0.0.1 / localhost)")
    open311 = f"{args.base.rstrip('/')}/open311/v2"
    started = time.perf_counter()

    for fmt in ("json", "xml"):
        client = GeoReport(open311, jurisdiction=args.jurisdiction, output_format=fmt)
        services = client.get_service_list()
        show(f"[georeport {fmt}] get_service_list", f"{len(services)} services, first {services[0]}")
        show(f"[georeport {fmt}] get_service_definition(transport-schedule)",
             client.get_service_definition("transport-schedule"))

    # a client fills the service's required questions from its definition, as an app's form would
    definition = GeoReport(open311, jurisdiction=args.jurisdiction).get_service_definition("transport-schedule")
    answers = {f"attribute[{a['code']}]": (a.get("values") or [{"key": "1"}])[-1]["key"]
               for a in definition["attributes"] if a["required"]}
    form = {**answers, "api_key": args.api_key, "jurisdiction_id": args.jurisdiction, "service_code": "transport-schedule",
            "lat": args.lat, "long": args.long, "description": "Автобус 61 не ходит после 21 часа (клиент georeport).",
            "first_name": "Иван", "last_name": "Клиентов", "email": "ivan.client@example.org"}
    posted = requests.post(f"{open311}/requests.xml", data=form, timeout=30)
    show(f"[requests] POST requests.xml -> {posted.status_code}", posted.text)
    if posted.status_code != 200:
        return 1
    token = ET.fromstring(posted.content).findtext("request/token") or ""
    number = (ET.fromstring(posted.content).findtext("request/service_notice") or "").split("№ ")[1].split(" ")[0]
    show("[requests] GET tokens (before registration)", requests.get(f"{open311}/tokens/{token}.json", timeout=30).json())

    operator = {"X-Api-Key": args.operator_key}
    queue = requests.get(f"{args.base}/api/v1/appeals/", params={"scope": "work", "status": "submitted"},
                         headers=operator, timeout=30).json()
    features = queue.get("features") or queue.get("results", {}).get("features", [])
    appeal_id = next(f["id"] for f in features if f["properties"]["number"] == number)
    registered = requests.post(f"{args.base}/api/v1/appeals/{appeal_id}/register/", headers=operator, timeout=30)
    show(f"[requests] operator POST /api/v1/appeals/{appeal_id}/register/ -> {registered.status_code}",
         registered.json()["properties"]["status"])
    resolved = requests.get(f"{open311}/tokens/{token}.json", timeout=30).json()
    show("[requests] GET tokens (after registration)", resolved)
    request_id = resolved[0]["service_request_id"]

    for fmt in ("json", "xml"):
        client = GeoReport(open311, jurisdiction=args.jurisdiction, output_format=fmt)
        found = client.get_service_requests(service_request_id=request_id)
        show(f"[georeport {fmt}] get_service_requests(service_request_id={request_id})", found)
        show(f"[georeport {fmt}] get_service_request({request_id})", client.get_service_request(request_id))
        recent = client.get_service_requests(service_code="transport-schedule", status="open")
        rows = recent if isinstance(recent, list) else [recent]
        show(f"[georeport {fmt}] get_service_requests(service_code=transport-schedule, status=open)",
             f"{len(rows)} requests")
        leaked = [s for s in ("Клиентов", "ivan.client@example.org") if s in json.dumps(found, ensure_ascii=False)]
        show(f"[georeport {fmt}] requester's name/e-mail in the answer", leaked or "none")
    print(f"done in {time.perf_counter() - started:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
