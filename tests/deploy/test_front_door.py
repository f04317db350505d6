"""The front door and the media of the multi-node deployment: nginx (deploy/nginx/cluster.conf)
serves the collected static files itself, compresses JSON and vector tiles, passes the public
media prefixes to the object storage and nothing else; media live on an S3-compatible server.

The S3 server is moto's (``moto_server``, PyPI ``moto[server]``): a real HTTP server process
speaking the S3 API, which enforces the bucket policy and object ACLs for anonymous requests —
what MinIO does in deploy/. MinIO itself ships as a binary on neither PyPI nor Debian; npm's
s3rver has no access control at all. moto does not check the signature or expiry of presigned
URLs (its signature checking cannot read query-string signatures), so the tests check what the
portal signs (a GET of exactly that key, X-Amz-Expires of MEDIA_SIGNED_URL_SECONDS) and that the
storage serves it, while the refusal of unsigned reads is the server's own."""
from __future__ import annotations

import gzip
import io
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs, urlparse

import boto3
import pytest
import requests
from botocore.config import Config
from PIL import Image

from bench.cluster_load import Cluster, tile_path, token_of
from tests.issues.helpers import jpeg_bytes

from .cluster import wait_for
from .conftest import MEDIA_BUCKET, Stack

pytestmark = pytest.mark.deploy


def test_nginx_serves_static_and_compresses_json_and_tiles(stack: Stack, cluster: Cluster) -> None:
    cluster.use_nodes(2)
    root = Path(cluster.env["STATIC_ROOT"])
    collected = next(p for p in sorted(root.rglob("*.css")) if not p.name.endswith(".gz"))
    static = requests.get(f"{cluster.url}/static/{collected.relative_to(root)}", timeout=30)
    assert static.status_code == 200 and static.content == collected.read_bytes()
    assert static.headers["Cache-Control"].startswith("max-age=") and "public" in static.headers["Cache-Control"]

    tilejson = requests.get(f"{cluster.url}/tiles/districts.json", headers={"Accept-Encoding": "gzip"}, timeout=30,
                            stream=True)
    assert tilejson.status_code == 200 and tilejson.headers.get("Content-Encoding") == "gzip"
    assert gzip.decompress(tilejson.raw.read()).startswith(b"{")
    lon, lat = (float(v) for v in stack.db.primary.psql(
        "SELECT ST_X(p) || ' ' || ST_Y(p) FROM (SELECT ST_PointOnSurface(boundary) AS p FROM geoportal_district "
        "WHERE code = 'centralny') d").split())
    tile = requests.get(cluster.url + tile_path(lon, lat, 11).replace("/appeals/", "/districts/"),
                        headers={"Accept-Encoding": "gzip"}, timeout=30)
    assert tile.status_code == 200 and len(tile.content) > 0
    assert tile.headers.get("Content-Encoding") == "gzip"  # protobuf through nginx's gzip
    for private in ("/media/private/appeals/2026/11/1-IMG_0001.jpg", "/media/projects/minutes/2026/x.pdf",
                    "/media/public/../private/appeals/x.jpg"):
        assert requests.get(f"{cluster.url}{private}", timeout=30).status_code == 404, private


def s3_client(stack: Stack) -> Any:
    return boto3.client("s3", endpoint_url=stack.s3.endpoint, region_name="us-east-1",
                        aws_access_key_id="geoportal", aws_secret_access_key="geoportal-secret",  # noqa: S106
                        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))


def test_media_on_s3_public_copy_through_nginx_private_original_by_signed_url(
        stack: Stack, cluster: Cluster, settings: Any) -> None:
    node = f"http://127.0.0.1:{cluster.nodes[0].port}"
    citizen = requests.Session()
    citizen.headers["Authorization"] = f"Token {token_of(node, 'citizen')}"
    lon, lat = (float(v) for v in stack.db.primary.psql(
        "SELECT ST_X(p) || ' ' || ST_Y(p) FROM (SELECT ST_PointOnSurface(boundary) AS p FROM geoportal_district "
        "WHERE code = 'centralny') d").split())
    photo = jpeg_bytes((320, 240), gps=(lat, lon))
    category = stack.db.primary.psql("SELECT id FROM issues_category WHERE code = 'light-street'")
    response = citizen.post(f"{cluster.url}/api/v1/appeals/", data={
        "category": category, "lat": str(lat), "lon": str(lon), "channel": "web",
        "text": "Не горит фонарь у подъезда, фотография приложена."}, files={"photos": ("IMG_0001.jpg", photo, "image/jpeg")},
        timeout=60)
    assert response.status_code == 201, response.text[:500]
    appeal_id = response.json()["id"]
    original = stack.db.primary.psql(f"SELECT original FROM issues_appealphoto WHERE appeal_id = {appeal_id}")
    assert original.startswith("private/appeals/")

    # The web node stored the original in the bucket (nothing on its disk), where anonymous
    # readers are refused, and nginx does not pass private names to the storage.
    s3 = s3_client(stack)
    assert s3.get_object(Bucket=MEDIA_BUCKET, Key=original)["Body"].read() == photo
    assert not (stack.base / "no-local-media").exists()
    assert requests.get(f"{stack.s3.endpoint}/{MEDIA_BUCKET}/{original}", timeout=30).status_code == 403
    assert requests.get(f"{cluster.url}/media/{original}", timeout=30).status_code == 404

    # A worker made the metadata-free copy (read from and written to the bucket, under a private,
    # unguessable name: issue 16); its URL is the portal's checking view, which asks each time
    # whether the appeal is public and streams the copy from the storage.
    def public_copy() -> str | None:
        photos = requests.get(f"{cluster.url}/api/v1/appeals/{appeal_id}/", timeout=30).json()["properties"]["photos"]
        return str(photos[0]["url"]) if photos and photos[0]["url"] else None

    wait_for("the worker's public copy", lambda: public_copy() is not None, timeout=120)
    url = cast(str, public_copy())
    assert url.startswith("/photos/appeals/"), url
    served = requests.get(f"{cluster.url}{url}", timeout=30)
    assert served.status_code == 200 and served.headers["Content-Type"] == "image/jpeg"
    assert served.content != photo and 0x8825 not in Image.open(io.BytesIO(served.content)).getexif()  # no GPS
    copy_key = stack.db.primary.psql(f"SELECT public_copy FROM issues_appealphoto WHERE appeal_id = {appeal_id}")
    assert copy_key.startswith("private/appeals/copies/")
    assert s3.get_object(Bucket=MEDIA_BUCKET, Key=copy_key)["Body"].read() == served.content
    assert requests.get(f"{stack.s3.endpoint}/{MEDIA_BUCKET}/{copy_key}", timeout=30).status_code == 403

    # Private files: a short-lived signed URL of exactly that key (geoportal.storage).
    from django.core.files.storage import storages
    from django.db.models.fields.files import FieldFile

    from geoportal.storage import MediaStorage, private_file_response

    settings.MEDIA_SIGNED_URL_SECONDS = 120
    storage = MediaStorage(bucket_name=MEDIA_BUCKET, endpoint_url=stack.s3.endpoint, region_name="us-east-1",
                           access_key="geoportal", secret_key="geoportal-secret",  # noqa: S106
                           addressing_style="path", signature_version="s3v4")
    assert storage.url("library/act.pdf") == "/media/library/act.pdf"  # a public prefix: the plain proxy URL
    signed = storage.url(original)
    query = parse_qs(urlparse(signed).query)
    assert urlparse(signed).path == f"/{MEDIA_BUCKET}/{original}"
    assert query["X-Amz-Expires"] == ["120"] and query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Signature"] and "X-Amz-Date" in query
    assert requests.get(signed, timeout=30).content == photo
    # A view's answer for an authorised download: a redirect to such a URL, named and typed.
    field_file = cast(FieldFile, type("F", (), {"storage": storage, "name": original})())
    answer = private_file_response(field_file, "снимок.jpg", "image/jpeg")
    assert answer.status_code == 302 and answer["Cache-Control"] == "private, no-store"
    downloaded = requests.get(answer["Location"], timeout=30)
    assert downloaded.content == photo
    assert "attachment" in downloaded.headers.get("Content-Disposition", "")
    assert storages.backends["default"]["BACKEND"].endswith("FileSystemStorage")  # make demo: the local folder


def test_web_nodes_are_stateless_a_session_made_on_one_node_works_on_the_other(cluster: Cluster) -> None:
    first, second = (f"http://127.0.0.1:{node.port}" for node in cluster.nodes)
    browser = requests.Session()
    form = browser.get(f"{first}/accounts/login/", timeout=30)
    assert form.status_code == 200
    token = form.text.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    signed_in = browser.post(f"{first}/accounts/login/", data={"username": "citizen", "password": "demo12345",
                                                               "csrfmiddlewaretoken": token},
                             headers={"Referer": f"{first}/accounts/login/"}, allow_redirects=False, timeout=60)
    assert signed_in.status_code == 302, signed_in.text[:300]
    # The session lives in the database, not in the node that made it.
    mine = browser.get(f"{second}/my/", allow_redirects=False, timeout=30)
    assert mine.status_code == 200, (mine.status_code, mine.headers.get("Location"))
    assert requests.get(f"{second}/my/", allow_redirects=False, timeout=30).status_code == 302  # others are not
