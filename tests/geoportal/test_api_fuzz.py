"""The API contract tried by an independent fuzzer: schemathesis generates requests from the
published OpenAPI document (``/api/v1/schema/``) and sends them to the real Django app (WSGI,
in-process) on the real test database, anonymously and with the API tokens of a citizen, an
executor, an operator and a leader. Every answer must be no 5xx, a documented status code, a
documented content type and, where JSON, match its documented schema. A failure prints the
``curl`` command that reproduces it.

Generation is deterministic (``derandomize``) so a red run is reproducible; set
``API_FUZZ_EXAMPLES`` (cases per operation and role, default ``FUZZ_EXAMPLES``) and
``API_FUZZ_RANDOM=1`` to fuzz deeper and with fresh randomness by hand. Each role's run writes
how many requests each role sent to ``var/test-artifacts/api-fuzz-<test>.txt``."""
from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.db import transaction
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.issues.helpers import make_appeal, point_in
from tests.projects.conftest import make_cycle, make_project  # noqa: F401  (fixtures)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
FUZZ_EXAMPLES = 12
STATEFUL_EXAMPLES = int(os.environ.get("API_FUZZ_STATEFUL_EXAMPLES", 25))
MAX_EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", FUZZ_EXAMPLES))
DETERMINISTIC = os.environ.get("API_FUZZ_RANDOM", "") != "1"
# Who calls: the persona behind each role's token (None: no credentials at all).
ROLES = {"anonymous": None, "citizen": "citizen", "executor": "executor_a", "operator": "operator",
         "leader": "leader"}
# Generated ids below this stand for the fixture's real objects (id % count picks one), so the
# fuzzer reaches the code behind a found object, not only the 404; larger ids stay unknown.
REAL_ID_BELOW = 64
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"
FUZZ_SETTINGS = settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=DETERMINISTIC, database=None,
                         suppress_health_check=list(HealthCheck), print_blob=False)


@dataclass
class ApiWorld:
    """Real objects of every kind the API names, and a token per persona."""

    ids: dict[str, list[int]] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    valid_appeal: dict[str, Any] = field(default_factory=dict)  # a body POST /appeals/ accepts
    calls: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # (role, phase, operation)
    turn: int = 0

    def headers(self, role: str) -> dict[str, str]:
        persona = ROLES[role]
        return {"Authorization": f"Token {self.tokens[persona]}"} if persona else {}

    def real(self, kind: str, value: Any) -> Any:
        pool = self.ids.get(kind)
        number = int(value) if isinstance(value, str) and value.isascii() and value.isdigit() else value
        if pool and isinstance(number, int) and not isinstance(number, bool) and 0 <= number < REAL_ID_BELOW:
            real = pool[number % len(pool)]
            return str(real) if isinstance(value, str) else real
        return value


# The first path segment under /api/v1/ → the kind of object its {id} names.
KIND_BY_SEGMENT = {"appeals": "appeal", "projects": "project", "budget-cycles": "cycle", "headings": "heading",
                   "comments": "comment", "subscriptions": "subscription", "notifications": "notification",
                   "categories": "category", "agencies": "agency", "districts": "district"}
# Body fields and query parameters that name objects.
KIND_BY_FIELD = {"category": "category", "agency": "agency", "into": "appeal", "executor": "user",
                 "parent": "comment", "target": "appeal", "target_id": "appeal", "cycle": "cycle",
                 "heading": "heading", "appeal": "appeal", "project": "project"}


def use_real_ids(case: Any, world: ApiWorld) -> None:
    segment = case.path.removeprefix("/api/v1/").split("/", 1)[0]
    for name, value in (case.path_parameters or {}).items():
        case.path_parameters[name] = world.real(KIND_BY_SEGMENT.get(segment, ""), value)
    for container in (case.query, case.body):
        if isinstance(container, dict):
            for name, value in container.items():
                if name in KIND_BY_FIELD:
                    container[name] = world.real(KIND_BY_FIELD[name], value)


@pytest.fixture
def api_world(personas: Any, make_cycle: Any, make_project: Any) -> ApiWorld:  # noqa: F811
    from rest_framework.authtoken.models import Token

    from geoportal.models import Agency, District
    from inbox.models import Notification
    from infocenter import discussion
    from infocenter.models import Comment, Subscription
    from issues import actions
    from issues.models import Category

    world = ApiWorld()
    for name in {p for p in ROLES.values() if p}:
        world.tokens[name] = Token.objects.get_or_create(user=getattr(personas, name))[0].key
    public = make_appeal(personas.citizen)
    roads = make_appeal(personas.other_citizen, "roads-potholes", text="Яма на дороге у остановки, колесо пробил.")
    private = make_appeal(personas.citizen, text="Шумят соседи по ночам, прошу принять меры.",
                          text_is_private=True)
    phoned = actions.submit_appeal(author=None, actor=personas.operator, channel="phone",
                                   category=Category.objects.get(code="light-street"),
                                   text="Звонок: не горит фонарь во дворе.", location=point_in("centralny"),
                                   author_name="Анна Иванова", author_contact="+7 900 000-00-00")
    appeals = [public, roads, private, phoned]
    world.ids["appeal"] = [a.pk for a in appeals]
    cycle = make_cycle(open_phases={"voting", "support"})
    heading = cycle.headings.get()
    projects = [make_project(heading), make_project(heading, title="Детская площадка")]
    world.ids["project"] = [p.pk for p in projects]
    world.ids["cycle"] = [cycle.pk]
    world.ids["heading"] = [heading.pk]
    comment = discussion.post_comment(actor=personas.citizen, kind="appeal", target_id=public.pk,
                                      text="Поддерживаю, там действительно темно.")
    world.ids["comment"] = [comment.pk, *Comment.objects.exclude(pk=comment.pk).values_list("pk", flat=True)[:3]]
    discussion.subscribe(actor=personas.citizen, kind="appeal", target_id=roads.pk)
    world.ids["subscription"] = list(Subscription.objects.values_list("pk", flat=True))
    world.ids["notification"] = list(Notification.objects.values_list("pk", flat=True)[:20])
    world.ids["category"] = list(Category.objects.filter(is_active=True).values_list("pk", flat=True)[:20])
    world.ids["agency"] = list(Agency.objects.values_list("pk", flat=True))
    world.ids["district"] = list(District.objects.values_list("pk", flat=True))
    world.ids["user"] = [personas.executor_a.pk, personas.executor_b.pk]
    place = point_in("centralny")
    no_photo = Category.objects.filter(is_active=True, photo_required=False, children__isnull=True).order_by("pk")
    world.valid_appeal = {"category": no_photo.first().pk, "lat": place.y, "lon": place.x,
                          "text": "Не горит фонарь у подъезда, вечером совсем темно.", "channel": "web",
                          "text_is_private": False}
    return world


@pytest.fixture
def api_schema(api_world: ApiWorld, request: pytest.FixtureRequest) -> Iterator[Any]:
    """The schema as the app publishes it, bound to the app itself. Like Django's test client,
    requests keep the test's database connection (its transaction holds the fixture's rows):
    Django would close it at the end of each request."""
    from django.core.signals import request_finished, request_started
    from django.core.wsgi import get_wsgi_application
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
        _record(api_world, request.node.originalname)


schema = schemathesis.pytest.from_fixture("api_schema")


def _record(world: ApiWorld, test_name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    lines = [f"max_examples={MAX_EXAMPLES} deterministic={DETERMINISTIC}"]
    for role in ROLES:
        phases: Counter[str] = Counter()
        for (who, phase, _operation), count in world.calls.items():
            if who == role:
                phases[phase] += count
        lines.append(f"{role}: {sum(phases.values())} requests ({', '.join(f'{p} {n}' for p, n in sorted(phases.items()))})"
                     f" over {len({o for (r, _p, o) in world.calls if r == role})} operations")
    (ARTIFACTS / f"api-fuzz-{test_name}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def roles_for(case: Any, world: ApiWorld) -> list[str]:
    """Every role sends each explicit example and each generated case; the coverage phase's
    cases (boundary and invalid values of every parameter, unexpected methods: ~3,500,
    deterministic) go out once each, the roles taking turns, to stay within the suite's time."""
    if str(case.meta.phase.name) != "coverage":
        return list(ROLES)
    world.turn += 1
    return [list(ROLES)[world.turn % len(ROLES)]]


@schema.parametrize()
@FUZZ_SETTINGS
def test_every_operation_keeps_its_contract_for_every_role(case: Any, api_world: ApiWorld) -> None:
    use_real_ids(case, api_world)
    for role in roles_for(case, api_world):
        api_world.calls[(role, str(case.meta.phase.name), f"{case.method} {case.path}")] += 1
        try:
            # a request's own transaction, as in production: a database error in one case must
            # not abort the test's transaction for every case after it
            with transaction.atomic():
                case.call_and_validate(headers=api_world.headers(role), checks=CHECKS)
        except FailureGroup as failure:  # its text ends with the curl that reproduces it
            who = f"{role} (Authorization: Token <the {ROLES[role]} token>)" if ROLES[role] else "anonymous"
            raise AssertionError(f"Sent as {who}:\n{failure}") from None


def test_a_created_appeal_is_read_and_acted_on_through_the_links(api_schema: Any, api_world: ApiWorld) -> None:
    """Stateful: the citizen files an appeal (``POST /appeals/``), then the document's links
    from its 201 lead to reading it, its timeline and messages and to every transition, with
    the new appeal's id, sent by each role in turn. Every answer is checked as above."""
    roles = list(ROLES)
    created: set[int] = set()
    followed: Counter[str] = Counter()

    appeals = api_schema.include(path_regex=r"^/api/v1/appeals/")

    class Workflow(appeals.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            self.step_number = 0

        def after_call(self, response: Any, case: Any) -> None:
            if case.method == "POST" and case.path == "/api/v1/appeals/" and response.status_code == 201:
                created.add(response.json()["id"])
            elif str((case.path_parameters or {}).get("id")) in {str(pk) for pk in created}:
                followed[f"{case.method} {case.path}"] += 1

        def before_call(self, case: Any) -> None:
            use_real_ids(case, api_world)
            if case.method == "POST" and case.path == "/api/v1/appeals/" and isinstance(case.body, dict):
                case.body.update(api_world.valid_appeal)  # the fuzzer would rarely guess a place in the region

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            creating = case.method == "POST" and case.path == "/api/v1/appeals/"
            self.role = "citizen" if creating else roles[self.step_number % len(roles)]
            self.step_number += 1
            api_world.calls[(self.role, "stateful", f"{case.method} {case.path}")] += 1
            return {"headers": api_world.headers(self.role)}

        def validate_response(self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any) -> None:
            try:
                case.validate_response(response, checks=CHECKS)
            except FailureGroup as failure:
                raise AssertionError(f"Sent as {self.role}:\n{failure}") from None

    Workflow.run(settings=settings(FUZZ_SETTINGS, max_examples=STATEFUL_EXAMPLES, stateful_step_count=6))
    assert created, "no scenario filed an appeal"
    # which links a scenario takes depends on the answers (ids, states) the database gives, so only
    # that the links were followed at all is asserted, not how many of them
    assert followed, f"no link was followed to a filed appeal: {dict(followed)}"
