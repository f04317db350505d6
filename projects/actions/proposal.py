"""A resident proposes a project; officials review it; residents support it; the author may withdraw it."""
from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from geoportal.models import District

from .. import notifications
from ..access import may_withdraw, withdraw_refusal
from ..models import (
    TRANSITIONS,
    CostItem,
    Heading,
    IllegalTransition,
    InitiativeGroupMember,
    PhaseKind,
    Project,
    ProjectEvent,
    ProjectPhoto,
    ProjectStatus,
    Support,
)
from .base import Conflict, locked, require_phase, require_role, transition
from .scoring import do_refresh_need_score

MIN_MEMBER_AGE = 16  # 131-FZ art. 26.1


def _age(birth_date: dt.date, on: dt.date) -> int:
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


@transaction.atomic
def do_submit_project(*, author: Any, heading: Heading, title: str, description: str, geometry: GEOSGeometry,
                      category: str, cost_items: Sequence[Mapping[str, Any]],
                      group: Sequence[Mapping[str, Any]], problem: str = "", expected_results: str = "",
                      cofinancing_residents: Decimal = Decimal(0), cofinancing_business: Decimal = Decimal(0),
                      cofinancing_local_budget: Decimal = Decimal(0), inkind_labour: Decimal = Decimal(0),
                      beneficiaries: int = 0, durability_years: int | None = None,
                      meeting_minutes: Any = None, photos: Sequence[Any] = (), submission_key: str = "",
                      now: dt.datetime | None = None) -> Project:
    """A resident submits a project for a district heading during the submission phase.

    ``submission_key``: the form's one-time token; a second call with the same author and key
    returns the project the first one created (stored on the project, unique per author, so it
    holds across cache loss and concurrent requests) and writes nothing.

    ``cost_items``: name, quantity, unit_price (the estimate is their sum); ``group``: the
    initiative group (full_name, birth_date, address, user), at least the cycle's minimum of
    residents aged 16+. ``meeting_minutes``: the residents' meeting minutes (PDF, JPEG or PNG,
    told by the file's first bytes, up to 20 MB; stored under an unguessable name and given only
    to reviewers, see ``views_official.meeting_minutes``); ``photos``: up to 5 JPEG/PNG photos
    of the place (10 MB each), stored as re-encoded copies without EXIF/GPS, turned upright."""
    require_role(author, "submit")
    submission_key = submission_key[:64]
    if submission_key:
        # concurrent twins wait here for the first one's outcome instead of failing on the constraint
        _lock_submission(author, submission_key)
        done = Project.objects.filter(author=author, submission_key=submission_key).first()
        if done is not None:
            return done
    now = now or timezone.now()
    require_phase(heading.cycle, PhaseKind.SUBMISSION, now=now)
    shares = {"cofinancing_residents": cofinancing_residents, "cofinancing_business": cofinancing_business,
              "cofinancing_local_budget": cofinancing_local_budget, "inkind_labour": inkind_labour}
    checked = validate_proposal(heading, title=title, description=description, geometry=geometry,
                                cost_items=cost_items, group=group, shares=shares,
                                meeting_minutes=meeting_minutes, photos=photos, now=now)
    district = heading.district or District.containing(geometry.point_on_surface)
    project = _create_proposal(
        author=author, heading=heading, title=title, description=description, problem=problem,
        expected_results=expected_results, geometry=geometry, district=district, category=category,
        estimate=checked.estimate, beneficiaries=beneficiaries, durability_years=durability_years, now=now,
        shares=shares, items=checked.items, adults=checked.adults, submission_key=submission_key)
    _attach_files(project, author=author, meeting_minutes=meeting_minutes, minutes_ext=checked.minutes_ext,
                  photos=checked.photos)
    return project


class CheckedProposal(NamedTuple):
    """What ``validate_proposal`` hands the write: the parsed estimate and group, the minutes'
    type and the photos' clean copies."""

    items: list[CostItem]
    estimate: Decimal
    adults: list[Mapping[str, Any]]
    minutes_ext: str | None
    photos: list[bytes]


def validate_proposal(heading: Heading, *, title: str, description: str, geometry: GEOSGeometry,
                      cost_items: Sequence[Mapping[str, Any]], group: Sequence[Mapping[str, Any]],
                      shares: Mapping[str, Decimal], meeting_minutes: Any, photos: Sequence[Any],
                      now: dt.datetime) -> CheckedProposal:
    """Every field of a proposal checked at once (nothing written): the data the write needs,
    or a ``ValidationError`` naming each field that is wrong."""
    cycle = heading.cycle
    errors: dict[str, list[str]] = defaultdict(list)
    if not title.strip():
        errors["title"].append(_("Укажите название проекта"))
    if not description.strip():
        errors["description"].append(_("Опишите проект"))
    if geometry is None or geometry.srid != 4326 or not geometry.valid or geometry.empty:
        errors["geometry"].append(_("Укажите место проекта на карте (точка, линия или полигон)"))
    elif heading.district is not None and not heading.district.boundary.intersects(geometry):
        errors["geometry"].append(_("Место проекта вне района «{district}»").format(district=heading.district.name))
    items = _cost_items(cost_items, errors)
    estimate = sum((item.amount for item in items), Decimal(0))
    column: Any = Project._meta.get_field("cost_estimate")
    if estimate >= Decimal(10) ** (column.max_digits - column.decimal_places):  # lines that fit, a sum that does not
        errors["cost_items"].append(_("Смета больше, чем можно записать: проверьте цены и количества"))
    today = timezone.localdate(now)
    adults = [m for m in group if m.get("birth_date") and _age(m["birth_date"], today) >= MIN_MEMBER_AGE]
    if len(adults) < cycle.min_group_size:
        errors["group"].append(_("В инициативной группе должно быть не менее {min} жителей старше 16 лет, "
                                 "указано {count}").format(min=cycle.min_group_size, count=len(adults)))
    for field, value in shares.items():
        if value < 0:
            errors[field].append(_("Не может быть отрицательным"))
    if estimate and sum(shares.values(), Decimal(0)) > estimate:
        errors["cofinancing_residents"].append(_("Софинансирование больше стоимости проекта"))
    minutes_ext = _check_minutes(meeting_minutes, errors) if meeting_minutes is not None else None
    clean_photos = _clean_proposal_photos(photos, errors)
    if errors:
        raise ValidationError(dict(errors))
    return CheckedProposal(items, estimate, adults, minutes_ext, clean_photos)


def _cost_items(cost_items: Sequence[Mapping[str, Any]], errors: dict[str, list[str]]) -> list[CostItem]:
    """The estimate's rows (name, quantity, unit_price, unit), unsaved; errors go to
    ``errors["cost_items"]``."""
    if not cost_items:
        errors["cost_items"].append(_("Смета должна содержать хотя бы одну статью"))
    items = []
    for index, row in enumerate(cost_items):
        try:
            quantity, price = Decimal(str(row.get("quantity", 1))), Decimal(str(row["unit_price"]))
        except (KeyError, ArithmeticError, ValueError):
            errors["cost_items"].append(_("Статья {n}: укажите количество и цену числами").format(n=index + 1))
            continue
        if not str(row.get("name", "")).strip() or quantity <= 0 or price < 0:
            errors["cost_items"].append(_("Статья {n}: нужны название, количество > 0 и цена ≥ 0").format(n=index + 1))
            continue
        items.append(CostItem(name=str(row["name"]).strip()[:300], quantity=quantity,
                              unit=str(row.get("unit", ""))[:30], unit_price=price))
    return items


def _attach_files(project: Project, *, author: Any, meeting_minutes: Any, minutes_ext: str | None,
                  photos: Sequence[bytes]) -> None:
    """Store the minutes and the photos' clean copies; the files written so far are removed
    again if anything fails (the transaction rolls the rows back, not the storage)."""
    stored: list[Any] = []
    try:
        if meeting_minutes is not None and minutes_ext is not None:
            meeting_minutes.seek(0)
            project.meeting_minutes.save(f"minutes-{uuid.uuid4().hex}.{minutes_ext}",
                                         File(meeting_minutes), save=False)
            stored.append(project.meeting_minutes)
            project.save(update_fields=["meeting_minutes"])
        for data in photos:
            photo = ProjectPhoto(project=project, uploaded_by=author, taken_at=None)
            photo.image.save(f"project-{project.pk}.jpg", ContentFile(data), save=False)
            stored.append(photo.image)
            photo.save()
    except BaseException:
        for field_file in stored:
            field_file.storage.delete(field_file.name)
        raise


MINUTES_MAX_BYTES = 20 * 1024 * 1024
PROPOSAL_MAX_PHOTOS = 5
PROPOSAL_PHOTO_FORMATS = ("JPEG", "MPO", "PNG")  # MPO: a phone's JPEG with a second frame
MINUTES_SIGNATURES = ((b"%PDF-", "pdf"), (b"\xff\xd8\xff", "jpg"), (b"\x89PNG\r\n\x1a\n", "png"))


def _check_minutes(upload: Any, errors: dict[str, list[str]]) -> str | None:
    """The minutes' extension told by the file's first bytes (never its name or the browser's
    content type), or None with an error."""
    if upload.size is not None and upload.size > MINUTES_MAX_BYTES:
        errors["meeting_minutes"].append(_("Протокол больше 20 МБ"))
        return None
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for signature, ext in MINUTES_SIGNATURES:
        if head.startswith(signature):
            return ext
    errors["meeting_minutes"].append(_("Протокол принимается в PDF, JPEG или PNG"))
    return None


def _clean_proposal_photos(photos: Sequence[Any], errors: dict[str, list[str]]) -> list[bytes]:
    """Each photo checked by decoding (``issues.photos``), JPEG or PNG only, and re-encoded
    without metadata; errors go to ``errors["photos"]``."""
    from PIL import Image

    from issues.photos import public_copies, validate_photo

    if len(photos) > PROPOSAL_MAX_PHOTOS:
        errors["photos"].append(_("Не больше {max} фотографий, выбрано {count}").format(
            max=PROPOSAL_MAX_PHOTOS, count=len(photos)))
        return []
    cleaned = []
    for upload in photos:
        name = upload.name or _("фото")
        try:
            validate_photo(upload)
        except ValidationError as exc:
            errors["photos"].extend(exc.messages)
            continue
        with Image.open(upload) as image:
            kind = image.format
        upload.seek(0)
        if kind not in PROPOSAL_PHOTO_FORMATS:
            errors["photos"].append(_("{name}: фотографии принимаются в JPEG или PNG").format(name=name))
            continue
        cleaned.append(public_copies(upload.read())[0])
    return cleaned


def _lock_submission(author: Any, key: str) -> None:
    """A transaction-level advisory lock on (author, key): the second of two simultaneous
    submissions of one form waits until the first commits, then finds its project."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                       [f"projects:submission:{author.pk}:{key}"])


def _create_proposal(*, author: Any, heading: Heading, title: str, description: str, problem: str,
                     expected_results: str, geometry: GEOSGeometry, district: District | None, category: str,
                     estimate: Decimal, beneficiaries: int, durability_years: int | None, now: dt.datetime,
                     shares: dict[str, Decimal], items: list[CostItem],
                     adults: list[Mapping[str, Any]], submission_key: str = "") -> Project:
    project = Project.objects.create(submission_key=submission_key,
        cycle=heading.cycle, heading=heading, title=title.strip()[:500], description=description.strip(),
        problem=problem.strip(), expected_results=expected_results.strip(), geometry=geometry, district=district,
        category=category, author=author, cost_estimate=estimate, beneficiaries=beneficiaries,
        durability_years=durability_years, submitted_at=now, **shares)
    for item in items:
        item.project = project
    CostItem.objects.bulk_create(items)
    InitiativeGroupMember.objects.bulk_create([
        InitiativeGroupMember(project=project, user=m.get("user"), full_name=str(m["full_name"])[:255],
                              birth_date=m["birth_date"], address=str(m.get("address", ""))[:500],
                              is_leader=index == 0) for index, m in enumerate(adults)])
    ProjectEvent.objects.create(project=project, actor=author, kind="create", to_status=ProjectStatus.DRAFT)
    transition(project, "submit", actor=author)
    notifications.follow(author, project.pk)
    do_refresh_need_score(project)
    return project


@transaction.atomic
def do_review_project(project: Project | int, *, actor: Any, feasible: bool, explanation: str = "",
                      reviewed_price: Decimal | None = None, now: dt.datetime | None = None) -> Project:
    """Admissibility and feasibility review. A project that is not feasible leaves the contest
    and must be explained; a reviewed price replaces the estimate in the selection."""
    require_role(actor, "review")
    project = locked(project)
    require_phase(project.cycle, PhaseKind.REVIEW, now=now)
    errors: dict[str, list[str]] = {}
    if not feasible and not explanation.strip():
        errors["explanation"] = [_("Объясните, почему проект нельзя реализовать")]
    if reviewed_price is not None and reviewed_price < 0:
        errors["reviewed_price"] = [_("Стоимость не может быть отрицательной")]
    if errors:
        raise ValidationError(errors)
    name = "admit" if feasible else "refuse"
    if not project.can(name):
        raise IllegalTransition(project.status, TRANSITIONS[name].target)
    project.feasible = feasible
    project.feasibility_explanation = explanation.strip()
    project.reviewed_price = reviewed_price
    project.save(update_fields=["feasible", "feasibility_explanation", "reviewed_price"])
    do_refresh_need_score(project, now=now)  # the commission sees the count as of the review
    transition(project, name, actor=actor, kind="review", note=explanation.strip(),
                data={"reviewed_price": str(reviewed_price) if reviewed_price is not None else None})
    return project


@transaction.atomic
def do_support_project(project: Project | int, *, actor: Any, now: dt.datetime | None = None) -> Project:
    """A resident supports a proposal in the support phase (once)."""
    require_role(actor, "support")
    project = locked(project)
    require_phase(project.cycle, PhaseKind.SUPPORT, now=now)
    if project.status not in (ProjectStatus.SUBMITTED, ProjectStatus.FEASIBLE):
        raise Conflict(_("Этот проект нельзя поддержать"))
    _support, created = Support.objects.get_or_create(project=project, user=actor)
    if not created:
        raise Conflict(_("Вы уже поддержали этот проект"))
    Project.objects.filter(pk=project.pk).update(supports_count=F("supports_count") + 1)
    project.refresh_from_db(fields=["supports_count"])
    notifications.follow(actor, project.pk)
    return project


WITHDRAW_REASON_MAX = 1000


@transaction.atomic
def do_withdraw_project(project: Project | int, *, actor: Any, reason: str = "",
                        now: dt.datetime | None = None) -> Project:
    """The author takes the project back (submitted or admitted, before voting). The reason is
    required and public (it is the project's last timeline entry); followers are told."""
    project = locked(project)
    if not may_withdraw(project, actor):
        raise PermissionDenied(_("Отозвать проект может только его автор"))
    refusal = withdraw_refusal(project, now)
    if refusal is not None:
        raise Conflict(refusal)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": [_("Напишите, почему вы отзываете проект: причина будет видна всем")]})
    if len(reason) > WITHDRAW_REASON_MAX:
        raise ValidationError({"reason": [_("Не больше {max} символов").format(max=WITHDRAW_REASON_MAX)]})
    transition(project, "withdraw", actor=actor, note=reason)
    return project
