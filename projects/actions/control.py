"""Residents' control of the works: reports, officials' answers, a report filed as an appeal."""
from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .. import notifications
from ..models import ControlReport, ControlReportKind, ControlReportStatus, Project, ProjectEvent, ProjectStatus
from .base import Conflict, clean_copy, locked, photo_position, require_monitor, require_role


@transaction.atomic
def do_submit_control_report(project: Project | int, *, author: Any, text: str, kind: str = "quality",
                             location: Point | None = None, photo: Any = None) -> ControlReport:
    """A resident's report on the works (public oversight), with an optional photo: stored as
    a copy without metadata; its EXIF position is used when no point is given."""
    require_role(author, "control_report")
    project = locked(project)
    if project.status not in (ProjectStatus.IN_PROGRESS, ProjectStatus.COMPLETED):
        raise Conflict(_("Отчёт о контроле можно оставить по реализуемому или реализованному проекту"))
    if not text.strip():
        raise ValidationError({"text": [_("Опишите, что не так")]})
    if kind not in ControlReportKind.values:
        raise ValidationError({"kind": [_("Неизвестный вид отчёта")]})
    clean = None
    if photo is not None:
        location = photo_position(photo, location)
        clean = clean_copy(photo)
    report = ControlReport(project=project, author=author, text=text.strip(), kind=kind, location=location)
    if clean is not None:
        # a private folder and a random name: served only by projects.views_official.control_photo
        report.photo.name = default_storage.save(
            f"private/projects/control/{timezone.now():%Y/%m}/{secrets.token_urlsafe(16)}.jpg", ContentFile(clean))
    report.save()
    ProjectEvent.objects.create(project=project, actor=author, kind="control_report", data={"report": report.pk})
    return report


@transaction.atomic
def do_answer_control_report(report: ControlReport, *, actor: Any, answer: str) -> ControlReport:
    """An official or the contractor answers a resident's control report; the resident and
    the project's followers are told."""
    require_role(actor, "answer_report")
    report = ControlReport.objects.select_for_update().select_related("project").get(pk=report.pk)
    require_monitor(actor, report.project)
    if report.status != ControlReportStatus.NEW:
        raise Conflict(_("На этот отчёт уже ответили"))
    if not answer.strip():
        raise ValidationError({"answer": [_("Ответ не может быть пустым")]})
    report.answer, report.answered_by, report.answered_at = answer.strip(), actor, timezone.now()
    report.status = ControlReportStatus.ANSWERED
    report.save(update_fields=["answer", "answered_by", "answered_at", "status"])
    notifications.event_recorded(ProjectEvent.objects.create(
        project=report.project, actor=actor, kind="control_answer", note=report.answer, data={"report": report.pk}))
    notifications.tell(report.author_id, CONTROL_ANSWERED.format(title=report.project.title[:150]), report.answer)
    return report


APPEAL_TEXT_LIMIT = 5000  # the appeals app's limit on an appeal's text
# Stored texts (a resident's notices, the appeal a control report becomes): Russian, the register's
# language, whatever page the official acted on
CONTROL_ANSWERED = "Ответ на ваш отчёт о контроле по проекту «{title}»"
CONTROL_APPEAL_TEXT = "Контроль реализации инициативного проекта «{title}» (/projects/{pk}/), {kind}: "
CONTROL_FILED = "Ваш отчёт о контроле по проекту «{title}» передан как обращение {number}"
CONTROL_FILED_BODY = "Обращение направлено: {agency}. {note}"
CONTROL_FILED_NO_AGENCY = "оператору для направления"


@transaction.atomic
def do_file_control_report(report: ControlReport, *, actor: Any, category: Any, note: str = "") -> ControlReport:
    """Turn a resident's control report into an appeal of the resident, through the appeals
    app's own ``submit_appeal`` (web channel: it registers itself, gets its 59-FZ deadline and
    is routed to the responsible agency by the category's rule table or the router), in the
    same transaction; the report keeps the appeal's id and the resident is told its number.

    ``category``: an ``issues.Category`` chosen by the official; ``note``: the official's words
    for the resident and the followers. The report's photo goes with the appeal (with the
    report's point as its position)."""
    require_role(actor, "answer_report")
    report = ControlReport.objects.select_for_update().select_related("project", "author").get(pk=report.pk)
    require_monitor(actor, report.project)
    if report.status == ControlReportStatus.ESCALATED:
        raise Conflict(_("Отчёт уже передан как обращение"))
    if category is None:
        raise ValidationError({"category": [_("Выберите категорию обращения")]})
    from django.core.files.uploadedfile import SimpleUploadedFile

    from issues.actions import submit_appeal  # lazy: projects/ calls the appeals app, never the reverse

    project = report.project
    location = report.location
    if location is None and project.geometry is not None:
        location = Point(project.geometry.point_on_surface.x, project.geometry.point_on_surface.y, srid=4326)
    photos = []
    if report.photo:
        with report.photo.open("rb") as handle:
            content = handle.read()
        gps = (report.location.y, report.location.x) if report.location is not None else None
        photos.append((SimpleUploadedFile(report.photo.name.rsplit("/", 1)[-1], content, "image/jpeg"), gps))
    with translation.override(settings.LANGUAGE_CODE):  # the appeal's text is Russian, whoever files it
        head = CONTROL_APPEAL_TEXT.format(title=project.title, pk=project.pk, kind=report.get_kind_display())
    appeal = submit_appeal(author=report.author, channel="web", category=category, location=location,
                           text=(head + report.text)[:APPEAL_TEXT_LIMIT], photos=photos, actor=actor)
    report.appeal_id = appeal.pk
    report.status = ControlReportStatus.ESCALATED
    if note.strip() and not report.answer:
        report.answer, report.answered_by, report.answered_at = note.strip(), actor, timezone.now()
    report.save(update_fields=["appeal_id", "status", "answer", "answered_by", "answered_at"])
    notifications.event_recorded(ProjectEvent.objects.create(
        project=project, actor=actor, kind="control_appeal", note=note.strip(),
        data={"report": report.pk, "appeal": appeal.pk, "number": appeal.number}))
    agency = appeal.responsible_agency.name if appeal.responsible_agency else CONTROL_FILED_NO_AGENCY
    notifications.tell(report.author_id, CONTROL_FILED.format(title=project.title[:120], number=appeal.number),
                       CONTROL_FILED_BODY.format(agency=agency, note=note.strip()).strip(), kind="status",
                       appeal_id=appeal.pk)
    return report
