"""POST /api/v1/appeals/ with an ``Idempotency-Key``: a retry returns the first result and
never files a second appeal, also when the retries race each other on separate connections."""
from __future__ import annotations

import json
import threading
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from issues.models import Appeal, AppealEvent, AppealPhoto, Category, IdempotencyKey

from .helpers import files_under, jpeg_bytes, point_in, upload

URL = "/api/v1/appeals/"


def payload(text: str = "Автобус 45 не ходит по вечерам после восьми.") -> dict[str, Any]:
    point = point_in("centralny")
    return {"category": Category.objects.get(code="transport-schedule").pk, "text": text, "lat": point.y,
            "lon": point.x}


def post_json(client: Client, data: dict[str, Any], key: str | None) -> Any:
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(URL, json.dumps(data), content_type="application/json", **headers)


@pytest.mark.django_db
def test_a_retry_returns_the_first_result(personas):
    client = personas.client("citizen")
    key = str(uuid.uuid4())
    first = post_json(client, payload(), key)
    second = post_json(client, payload(), key)
    third = post_json(client, payload(), key)
    assert first.status_code == second.status_code == third.status_code == 201
    assert first.json() == second.json() == third.json()
    assert "Idempotent-Replayed" not in first and second["Idempotent-Replayed"] == "true"
    assert Appeal.objects.count() == 1 and AppealEvent.objects.filter(kind="submit").count() == 1
    assert IdempotencyKey.objects.get(key=key).appeal_id == first.json()["id"]


@pytest.mark.django_db
def test_a_multipart_retry_stores_its_photo_once(personas, media_root):
    client = personas.client("citizen")
    light = Category.objects.get(code="light-street").pk
    responses = [client.post(URL, {**payload("Не горит фонарь у дома 5 по улице."), "category": light,
                                   "photos": [upload(jpeg_bytes(), "lamp.jpg")]}, HTTP_IDEMPOTENCY_KEY="lamp-1")
                 for _ in range(3)]
    assert {r.status_code for r in responses} == {201} and len({r.json()["id"] for r in responses}) == 1
    assert AppealPhoto.objects.count() == 1 and len(files_under(media_root)) == 1


@pytest.mark.django_db
def test_different_keys_make_different_appeals(personas):
    client = personas.client("citizen")
    ids = {post_json(client, payload(), key).json()["id"] for key in ("k-1", "k-2", "k-3")}
    assert len(ids) == 3 and Appeal.objects.count() == 3
    assert len(set(Appeal.objects.values_list("number", flat=True))) == 3
    # and without a key every POST is a new appeal
    assert post_json(client, payload(), None).json()["id"] not in ids


@pytest.mark.django_db
def test_the_key_is_per_user(personas):
    key = "same-key"
    mine = post_json(personas.client("citizen"), payload(), key)
    theirs = post_json(personas.client("other_citizen"), payload(), key)
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]
    assert Appeal.objects.get(pk=theirs.json()["id"]).author == personas.other_citizen
    # the replay is the user's own first result, never another user's appeal
    assert post_json(personas.client("other_citizen"), payload(), key).json()["id"] == theirs.json()["id"]
    assert IdempotencyKey.objects.filter(key=key).count() == 2


@pytest.mark.django_db
def test_a_refused_attempt_is_not_remembered(personas, media_root):
    """Nothing was written, so a corrected retry with the same key is judged afresh."""
    client = personas.client("citizen")
    bad_text = post_json(client, {**payload(), "text": "коротко"}, "retry-1")
    assert bad_text.status_code == 400 and "text" in bad_text.json()
    light = Category.objects.get(code="light-street").pk
    bad_photo = client.post(URL, {**payload("Не горит фонарь у дома 7 по улице."), "category": light,
                                  "photos": [upload(b"not a picture", "x.jpg")]}, HTTP_IDEMPOTENCY_KEY="retry-1")
    assert bad_photo.status_code == 400 and "photos" in bad_photo.json()
    assert IdempotencyKey.objects.count() == 0 and Appeal.objects.count() == 0
    fixed = post_json(client, payload(), "retry-1")
    assert fixed.status_code == 201 and "Idempotent-Replayed" not in fixed
    assert post_json(client, payload(), "retry-1").json()["id"] == fixed.json()["id"]


@pytest.mark.django_db
def test_bad_keys_and_anonymous_callers(personas):
    too_long = post_json(personas.client("citizen"), payload(), "x" * 101)
    assert too_long.status_code == 400 and "Idempotency-Key" in too_long.json()
    assert post_json(personas.client("anonymous"), payload(), "anon-1").status_code == 401
    assert Appeal.objects.count() == 0 and IdempotencyKey.objects.count() == 0


def _race(clients: list[Client], keys: list[str]) -> list[tuple[int, dict[str, Any], bool]]:
    """POST from one thread per client (each thread has its own database connection), all
    released at once by a barrier."""
    barrier = threading.Barrier(len(clients))
    data = payload()
    results: list[tuple[int, dict[str, Any], bool]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def attempt(client: Client, key: str) -> None:
        try:
            barrier.wait(timeout=30)
            response = post_json(client, data, key)
            with lock:
                results.append((response.status_code, response.json(), response.has_header("Idempotent-Replayed")))
        except BaseException as exc:  # reported below, not swallowed
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(c, k)) for c, k in zip(clients, keys, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(results) == len(clients)
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_key_file_one_appeal(personas):
    clients = [personas.client("citizen") for _ in range(8)]
    results = _race(clients, ["race-key"] * 8)
    assert [status for status, _body, _replayed in results] == [201] * 8
    bodies = [body for _status, body, _replayed in results]
    assert all(body == bodies[0] for body in bodies)  # identical answers, the same appeal
    assert sum(replayed for _s, _b, replayed in results) == 7
    assert Appeal.objects.count() == 1 and Appeal.objects.get().pk == bodies[0]["id"]
    assert AppealEvent.objects.filter(kind="submit").count() == 1
    assert IdempotencyKey.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_with_different_keys_get_distinct_numbers(personas):
    clients = [personas.client("citizen") for _ in range(8)]
    results = _race(clients, [f"key-{i}" for i in range(8)])
    assert {status for status, _b, _r in results} == {201}
    assert len({body["id"] for _s, body, _r in results}) == 8 and Appeal.objects.count() == 8
    numbers = sorted(int(n.rsplit("-", 1)[1]) for n in Appeal.objects.values_list("number", flat=True))
    assert numbers == list(range(numbers[0], numbers[0] + 8))  # the counter's row lock: no gaps, no twins
