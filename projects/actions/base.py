"""What every projects action shares: the conflict errors, the role, agency and phase gates, the
row lock and the status transition (which leaves a ``ProjectEvent`` and tells the followers)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.gis.geos import Point
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from geoportal.exceptions import Conflict

from .. import notifications
from ..access import can, monitoring_agency_ids
from ..models import BudgetCycle, PhaseKind, Project, ProjectEvent

__all__ = ["Conflict", "PhaseClosed", "clean_copy", "locked", "photo_position", "require_monitor", "require_phase",
           "require_role", "transition"]


class PhaseClosed(Conflict):
    def __init__(self, cycle: BudgetCycle, kind: str) -> None:
        super().__init__(_("Этап «{phase}» конкурса «{cycle}» сейчас не идёт").format(
            phase=PhaseKind(kind).label, cycle=cycle.name))
        self.kind = kind


def require_role(user: Any, act: str) -> None:
    if not can(user, act):
        raise PermissionDenied(_("Недостаточно прав для этого действия"))


def require_monitor(user: Any, project: Project) -> None:
    """Monitoring writes, after the act's role check (``require_role``): executors and agency
    heads need a staff membership in the project's implementing agency (or its parent)."""
    allowed = monitoring_agency_ids(user)
    if allowed is not None and project.implementing_agency_id not in allowed:
        raise PermissionDenied(_("Проект реализует другое ведомство: вносить данные мониторинга могут только его "
                                 "сотрудники и операторы администрации"))


def require_phase(cycle: BudgetCycle, *kinds: str, now: dt.datetime | None = None) -> None:
    if not any(cycle.open_phase(kind, now) for kind in kinds):
        raise PhaseClosed(cycle, kinds[0])


def transition(project: Project, name: str, **kwargs: Any) -> ProjectEvent:
    """``Project.transition`` (its ``IllegalTransition`` is a ``Conflict``: 409), then the
    followers hear of the event after commit."""
    event = project.transition(name, **kwargs)
    notifications.event_recorded(event)
    return event


def locked(project: Project | int) -> Project:
    pk = project.pk if isinstance(project, Project) else project
    return Project.objects.select_for_update().select_related("cycle", "heading").get(pk=pk)


def photo_position(upload: Any, location: Point | None) -> Point | None:
    """Check an uploaded photo by decoding it (``issues.photos``; a bad one is a
    ``ValidationError`` on "photo") and return ``location``, or else the photo's own EXIF GPS."""
    from issues.photos import validate_photo

    try:
        gps = validate_photo(upload)
    except ValidationError as exc:
        raise ValidationError({"photo": exc.messages}) from exc
    if location is None and gps is not None:
        location = Point(gps[1], gps[0], srid=4326)
    return location


def clean_copy(upload: Any) -> bytes:
    """The checked photo re-encoded without metadata (camera serials, owner names, GPS)."""
    from issues.photos import public_copies

    upload.seek(0)
    clean, _thumb = public_copies(upload.read())
    return clean
