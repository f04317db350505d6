"""The projects API: who may call each endpoint, GeoJSON with filters, the ballot's 201/400/409,
results with reasons, and no personal data of authors, group members or voters anywhere public."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest

from projects import actions
from projects.models import BallotRule, ProjectStatus

from .conftest import open_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def contest(make_cycle, make_project, personas):
    cycle = make_cycle({"voting", "support"}, ballot_rule=BallotRule.APPROVAL, max_approvals=2,
                       districts=("centralny", "nagorny"), money=Decimal(200_000))
    central, nagorny = cycle.headings.order_by("name")[1], cycle.headings.order_by("name")[0]
    projects = [make_project(central, title=f"Центр {i}", cost=Decimal(80_000)) for i in range(3)]
    projects.append(make_project(nagorny, title="Нагорный сквер"))
    rejected = make_project(central, title="Частный забор", feasible=False)
    return cycle, central, nagorny, projects, rejected


def test_geojson_list_with_filters_and_bbox(contest, personas, django_assert_max_num_queries):
    cycle, central, nagorny, projects, rejected = contest
    client = personas.client("anonymous")
    with django_assert_max_num_queries(4):
        body = client.get(f"/api/v1/projects/?cycle={cycle.pk}").json()
    assert body["type"] == "FeatureCollection" and len(body["features"]) == 5
    feature = next(f for f in body["features"] if f["id"] == projects[0].pk)
    point = projects[0].geometry
    assert feature["geometry"]["type"] == "Point"
    assert feature["geometry"]["coordinates"] == pytest.approx([point.x, point.y])
    assert feature["properties"]["status"] == "feasible" and feature["properties"]["district"] == "Центральный"
    ids = {f["id"] for f in client.get(f"/api/v1/projects/?heading={nagorny.pk}").json()["features"]}
    assert ids == {projects[3].pk}
    ids = {f["id"] for f in client.get("/api/v1/projects/?status=unfeasible").json()["features"]}
    assert ids == {rejected.pk}
    ids = {f["id"] for f in client.get(f"/api/v1/projects/?district={central.district_id}").json()["features"]}
    assert ids == {p.pk for p in projects[:3]} | {rejected.pk}
    x, y = point.x, point.y
    ids = {f["id"] for f in client.get(f"/api/v1/projects/?bbox={x - 1e-4},{y - 1e-4},{x + 1e-4},{y + 1e-4}").json()[
        "features"]}
    assert projects[0].pk in ids and projects[3].pk not in ids
    assert client.get("/api/v1/projects/?bbox=1,2,3").status_code == 400


def test_detail_is_public_and_carries_no_personal_data(contest, personas):
    _cycle, _central, _nagorny, projects, rejected = contest
    project = projects[0]
    member = project.group_members.first()
    response = personas.client("anonymous").get(f"/api/v1/projects/{project.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["properties"]["group_size"] == 10 and body["properties"]["cost_items"][0]["name"] == "Работы"
    assert [e["kind"] for e in body["properties"]["events"]] == ["create", "submit", "review"]
    text = response.content.decode()
    for secret in (member.full_name, member.address, personas.citizen.username, str(member.birth_date),
                   personas.operator.username):
        assert secret not in text
    assert "author" not in body["properties"] and '"actor"' not in text
    assert personas.client("anonymous").get(f"/api/v1/projects/{rejected.pk}/").json()["properties"][
        "feasibility_explanation"] == "Нет земельного участка"


def test_ballot_endpoint(contest, personas):
    _cycle, central, _nagorny, projects, _rejected = contest
    url = f"/api/v1/headings/{central.pk}/ballot/"
    body = {"choices": [{"project": p.pk} for p in projects[:3]]}
    assert personas.client("anonymous").post(url, body, content_type="application/json").status_code in (401, 403)
    assert personas.client("operator").post(url, body, content_type="application/json").status_code == 403
    citizen = personas.client("citizen")
    too_many = citizen.post(url, body, content_type="application/json")
    assert too_many.status_code == 400 and "не более 2" in json.dumps(too_many.json(), ensure_ascii=False)
    assert citizen.post(url, {"choices": [{"project": "x"}]}, content_type="application/json").status_code == 400
    assert central.ballots.count() == 0
    ok = citizen.post(url, {"choices": [{"project": p.pk} for p in projects[:2]]}, content_type="application/json")
    assert ok.status_code == 201 and ok.json()["choices"] == 2
    again = citizen.post(url, {"choices": [{"project": projects[2].pk}]}, content_type="application/json")
    assert again.status_code == 409 and "уже подан" in again.json()["detail"]
    assert central.ballots.count() == 1


def test_ballot_outside_the_voting_phase_is_409(contest, personas):
    cycle, central, _nagorny, projects, _rejected = contest
    cycle.phases.filter(kind="voting").delete()
    response = personas.client("citizen").post(f"/api/v1/headings/{central.pk}/ballot/",
                                               {"choices": [{"project": projects[0].pk}]},
                                               content_type="application/json")
    assert response.status_code == 409 and "«голосование»" in response.json()["detail"]


def test_support_review_score_permissions(contest, personas):
    cycle, _central, _nagorny, projects, _rejected = contest
    url = f"/api/v1/projects/{projects[0].pk}/support/"
    assert personas.client("anonymous").post(url).status_code in (401, 403)
    assert personas.client("leader").post(url).status_code == 403
    assert personas.client("other_citizen").post(url).json() == {"supports_count": 1}
    assert personas.client("other_citizen").post(url).status_code == 409
    open_all(cycle, "review", "scoring")
    review = f"/api/v1/projects/{projects[1].pk}/review/"
    for name in ("anonymous", "citizen", "executor_a", "leader", "moderator"):
        assert personas.client(name).post(review, {"feasible": False}, content_type="application/json").status_code in (
            401, 403), name
    body = {"feasible": False, "explanation": "Нет участка"}
    again = personas.client("operator").post(review, body, content_type="application/json")
    assert again.status_code == 409  # already reviewed
    assert personas.client("operator").post(review, {"feasible": "maybe"}, content_type="application/json"
                                            ).status_code == 400
    score = f"/api/v1/projects/{projects[1].pk}/score/"
    for name in ("anonymous", "citizen", "operator", "executor_a"):
        assert personas.client(name).post(score, {"scores": {}}, content_type="application/json").status_code in (
            401, 403), name


def test_results_say_why(contest, personas):
    cycle, central, _nagorny, projects, _rejected = contest
    for key, picks in enumerate([[0, 1], [0, 1], [0, 2], [2]]):
        actions.do_enter_paper_ballot(central, actor=personas.operator, voter_key=str(key),
                                      choices=[{"project": projects[i].pk} for i in picks])
    empty = personas.client("anonymous").get(f"/api/v1/headings/{central.pk}/results/").json()
    assert empty["run"] is None
    open_all(cycle, "selection")
    actions.do_run_selection(central, actor=personas.leader)
    body = personas.client("anonymous").get(f"/api/v1/headings/{central.pk}/results/").json()
    decisions = {d["project"]: d for d in body["run"]["decisions"]}
    assert decisions[projects[0].pk]["selected"] and decisions[projects[1].pk]["selected"]
    assert decisions[projects[2].pk]["reason"] == "не хватило средств: осталось 40 000, стоимость 80 000"
    assert Decimal(body["run"]["left"]) == Decimal(40_000)
    projects[2].refresh_from_db()
    assert projects[2].status == ProjectStatus.NOT_SELECTED


def test_cycles_are_public(contest, personas):
    cycle = contest[0]
    body = personas.client("anonymous").get(f"/api/v1/budget-cycles/{cycle.pk}/").json()
    assert body["max_approvals"] == 2 and len(body["headings"]) == 2 and len(body["phases"]) == 8
