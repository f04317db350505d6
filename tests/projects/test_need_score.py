"""The need score counted from real appeals (PostGIS, through the appeals app's actions):
related categories only, within the radius in metres, over the last 12 months, spam and
duplicates left out; usable as a rubric criterion by its tier table."""
from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest
from django.contrib.gis.geos import Point, Polygon
from django.utils import timezone

from projects import actions, need
from projects.models import CommissionScore, Criterion, CriterionKind, CriterionTier, Rubric
from tests.issues.helpers import make_appeal

pytestmark = pytest.mark.django_db

EARTH_M_PER_DEG_LAT = 111_320.0


def shifted(point: Point, north_m: float = 0.0, east_m: float = 0.0) -> Point:
    lat = point.y + north_m / EARTH_M_PER_DEG_LAT
    lon = point.x + east_m / (EARTH_M_PER_DEG_LAT * math.cos(math.radians(point.y)))
    return Point(lon, lat, srid=4326)


@pytest.fixture
def yard_project(make_cycle, make_project):
    heading = make_cycle().headings.get()
    return make_project(heading, category="yards")


def test_the_counter_is_wired_by_the_app_config():
    from projects.need_appeals import count_appeals

    assert need._counter is count_appeals


def test_need_score_counts_related_appeals_near_the_project_in_the_last_year(yard_project, personas):
    centre = yard_project.geometry
    assert actions.do_refresh_need_score(yard_project) == 0
    now = timezone.now()
    counted = [
        make_appeal(personas.citizen, "yard-playground", location=shifted(centre, north_m=120)),
        make_appeal(personas.citizen, "light-yard", location=shifted(centre, east_m=-450)),
        make_appeal(personas.other_citizen, "yard-cleaning", location=shifted(centre, north_m=-300, east_m=300),
                    received_at=now - dt.timedelta(days=330)),
    ]
    # a different need, too far, too old
    make_appeal(personas.citizen, "light-street", location=shifted(centre, north_m=50))
    make_appeal(personas.citizen, "yard-playground", location=shifted(centre, east_m=560))
    make_appeal(personas.citizen, "yard-playground", location=shifted(centre, north_m=100),
                received_at=now - dt.timedelta(days=380))
    assert len(counted) == 3
    assert actions.do_refresh_need_score(yard_project) == 3
    yard_project.refresh_from_db()
    assert yard_project.need_score == 3
    # a wider radius reaches the appeal 560 m away; a year later nothing is recent
    assert need.need_score(centre, "yards", radius_m=600) == 4
    assert need.need_score(centre, "yards", now=now + dt.timedelta(days=400)) == 0


def test_spam_rejected_by_a_moderator_is_not_a_need(yard_project, personas):
    from issues.actions import reject_appeal

    centre = yard_project.geometry
    make_appeal(personas.citizen, "yard-playground", location=shifted(centre, north_m=100))
    spam = make_appeal(personas.other_citizen, "yard-playground", location=shifted(centre, north_m=-100))
    assert actions.do_refresh_need_score(yard_project) == 2
    reject_appeal(spam, actor=personas.moderator, reason="spam")
    assert actions.do_refresh_need_score(yard_project) == 1


def test_the_radius_is_measured_from_a_polygon_edge_not_its_centre(make_cycle, make_project, personas):
    heading = make_cycle().headings.get()
    corner = heading.district.boundary.point_on_surface
    # a park 400 m wide: an appeal 100 m outside its east edge is 300 m from the centre
    west, south = shifted(corner, east_m=-200, north_m=-100), shifted(corner, east_m=200, north_m=100)
    park = Polygon.from_bbox((west.x, west.y, south.x, south.y))
    park.srid = 4326
    project = make_project(heading, category="greenery", geometry=park)
    make_appeal(personas.citizen, "green-tree", location=shifted(corner, east_m=200 + 450))
    make_appeal(personas.citizen, "green-tree", location=shifted(corner, east_m=200 + 560))
    assert actions.do_refresh_need_score(project) == 1


def test_need_score_as_a_rubric_criterion(make_cycle, make_project, personas):
    rubric = Rubric.objects.create(name="С учётом потребности")
    criterion = Criterion.objects.create(rubric=rubric, code="need", name="Обращения рядом",
                                         kind=CriterionKind.NEED_SCORE, weight=Decimal(2), max_points=Decimal(10))
    CriterionTier.objects.create(criterion=criterion, lower=Decimal(1), upper=Decimal(2), points=Decimal(4))
    CriterionTier.objects.create(criterion=criterion, lower=Decimal(2), include_lower=False, points=Decimal(10))
    cycle = make_cycle(open_phases={"scoring"}, rubric=rubric)
    project = make_project(cycle.headings.get(), category="yards")
    centre = project.geometry
    make_appeal(personas.citizen, "yard-playground", location=shifted(centre, north_m=80))
    actions.do_refresh_need_score(project)
    assert actions.criterion_value(criterion, project) == Decimal(1)
    assert actions.do_recompute_score(project) == Decimal(8)  # tier 1–2 → 4 points × weight 2
    for offset in (90, 100):
        make_appeal(personas.citizen, "yard-cleaning", location=shifted(centre, east_m=offset))
    actions.do_refresh_need_score(project)
    assert actions.do_recompute_score(project) == Decimal(20)  # 3 appeals: over 2 → 10 × 2
    assert not CommissionScore.objects.exists()  # an automatic criterion: nobody typed it in


@pytest.mark.django_db(transaction=True)
def test_the_nightly_beat_job_recounts_projects_still_in_the_contest(make_cycle, make_project, personas, settings,
                                                                      celery_worker_process):
    from projects.models import Project, ProjectStatus
    from projects.tasks import refresh_need_scores

    assert settings.CELERY_BEAT_SCHEDULE["projects-need-scores"]["task"] == "projects.tasks.refresh_need_scores"
    heading = make_cycle().headings.get()
    waiting = make_project(heading, category="yards", title="Во дворе")
    refused = make_project(heading, category="yards", title="Не допущен", feasible=False)
    assert (waiting.need_score, refused.need_score) == (0, 0)
    for project in (waiting, refused):
        make_appeal(personas.citizen, "yard-playground", location=shifted(project.geometry, north_m=80))
    # the real worker runs the beat's task
    assert refresh_need_scores.delay().get(timeout=60) == 1
    waiting.refresh_from_db()
    refused.refresh_from_db()
    assert waiting.need_score >= 1 and refused.need_score == 0  # a refused project keeps what it was judged with
    assert Project.objects.get(pk=refused.pk).status == ProjectStatus.UNFEASIBLE
    # nothing new: nothing changes
    assert refresh_need_scores.delay().get(timeout=60) == 0
