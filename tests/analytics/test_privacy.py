"""Public statistics and open data never carry personal data or free text."""
from __future__ import annotations

import pytest

from issues import actions
from issues.models import Category
from tests.issues.helpers import point_in

pytestmark = pytest.mark.django_db

SECRETS = ("Сидоров Пётр Ильич", "+7 900 111-22-33", "квартира 17", "Иванова Мария", "citizen2",
           "Яма на дороге у дома 1")
PUBLIC_URLS = [
    "/api/v1/stats/appeals?rows=district,category&cols=month&metrics=count,satisfaction_avg,satisfaction",
    "/api/v1/stats/appeals?rows=agency&export=csv",
    "/api/v1/stats/agencies?period=2026-Q3",
    "/api/v1/stats/satisfaction?by=category",
    "/api/v1/stats/hotspots?days=365&eps=50&minpoints=2",
    "/api/v1/stats/rising",
    "/api/v1/stats/repeats?days=365",
    "/api/v1/stats/heatmap?days=365",
    "/api/v1/opendata/appeals.csv?period_start=2026-01-01&period_end=2026-12-31",
    "/api/v1/opendata/appeals.geojson?period_start=2026-01-01&period_end=2026-12-31",
]


def test_public_slices_contain_no_personal_data(dataset, personas, clock):
    appeal = actions.submit_appeal(
        author=None, actor=personas.operator, channel="phone", category=Category.objects.get(code="roads-potholes"),
        text="Звонил житель, квартира 17, просит заделать яму.", text_is_private=True, location=point_in(),
        author_name="Сидоров Пётр Ильич", author_contact="+7 900 111-22-33")
    actions.register_appeal(appeal, actor=personas.operator)
    for name in ("anonymous", "citizen"):
        client = personas.client(name)
        for url in PUBLIC_URLS:
            response = client.get(url)
            assert response.status_code == 200, url
            body = (b"".join(response.streaming_content) if response.streaming else response.content).decode(
                "utf-8-sig")
            for secret in SECRETS:
                assert secret not in body, (url, secret)
    # the phone appeal is counted (it is public) — only its personal data and text are not shown
    body = personas.client("anonymous").get("/api/v1/opendata/appeals.csv", {
        "period_start": "2026-01-01", "period_end": "2026-12-31"})
    assert appeal.number in b"".join(body.streaming_content).decode("utf-8-sig")
