"""Citizens' appeals: categories, the appeal with its lifecycle, events (the audit log and
the citizen's timeline), photos, dialogue and ratings (notifications: the ``inbox`` app).

An appeal's status changes only through :meth:`Appeal.apply_transition`, which checks the
transition table, stamps the timestamps and writes an :class:`AppealEvent`. The database
repeats the rule with a trigger (migration 0002), so an illegal status change is impossible
even from raw SQL."""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from geoportal.exceptions import Conflict
from geoportal.i18n import english_page
from geoportal.models import Agency, District, Role
from geoportal.transitions import Transition, allow


class DeadlineRule(models.TextChoices):
    WORKING_DAYS = "working_days", _("рабочие дни (производственный календарь)")
    CALENDAR_DAYS = "calendar_days", _("календарные дни (59-ФЗ)")


classifier_code_validator = RegexValidator(
    r"^\d{4}\.\d{4}\.\d{4}\.\d{4}$", _("Код тематического классификатора: XXXX.XXXX.XXXX.XXXX")
)


class Category(models.Model):
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    code = models.SlugField(_("код"), max_length=60, unique=True)
    name = models.CharField(_("название"), max_length=200)
    name_en = models.CharField(_("название (англ.)"), max_length=200, blank=True)
    classifier_code = models.CharField(
        _("код классификатора"), max_length=19, validators=[classifier_code_validator], blank=True
    )
    deadline_rule = models.CharField(max_length=20, choices=DeadlineRule.choices, default=DeadlineRule.CALENDAR_DAYS)
    deadline_days = models.PositiveSmallIntegerField(_("срок, дней"), default=30,
                                                     validators=[MinValueValidator(1), MaxValueValidator(60)])
    photo_required = models.BooleanField(_("фото обязательно"), default=False)
    anonymous_allowed = models.BooleanField(_("анонимно допускается"), default=True)
    duplicate_radius_m = models.PositiveIntegerField(_("радиус поиска дублей, м"), default=150)
    is_active = models.BooleanField(_("действует"), default=True)

    class Meta:
        ordering = ["parent_id", "name"]
        verbose_name = _("категория")
        verbose_name_plural = _("категории")
        constraints = [
            models.CheckConstraint(condition=Q(deadline_days__gte=1, deadline_days__lte=60),
                                   name="category_deadline_days_range"),
            models.CheckConstraint(condition=Q(classifier_code="") | Q(
                classifier_code__regex=r"^\d{4}\.\d{4}\.\d{4}\.\d{4}$"), name="category_classifier_code_format"),
        ]

    def __str__(self) -> str:
        return f"{self.parent.name} › {self.name}" if self.parent_id and self.parent else self.name

    @property
    def label(self) -> str:
        """The name in the active language: the English name on English pages when there is
        one, else the Russian name (the register's own)."""
        if self.name_en and english_page():
            return self.name_en
        return self.name

    def lineage(self) -> list[Category]:
        """This category and its ancestors, nearest first."""
        chain: list[Category] = []
        node: Category | None = self
        while node is not None and len(chain) < 10:
            chain.append(node)
            node = node.parent
        return chain

    @property
    def classifier_section(self) -> str:
        code = self.classifier_code or next((c.classifier_code for c in self.lineage() if c.classifier_code), "")
        return code[:4]


class CategoryRoute(models.Model):
    """The rule table: category → agency, chosen among agencies competent at the point.
    The trained router replaces it; it stays as the baseline and the fallback."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="routes")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="category_routes")
    priority = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["category_id", "priority"]
        constraints = [models.UniqueConstraint(fields=["category", "agency"], name="unique_category_route")]


class Channel(models.TextChoices):
    WEB = "web", _("сайт")
    MOBILE = "mobile", _("мобильное приложение")
    PHONE = "phone", _("телефон")
    EMAIL = "email", _("электронная почта")
    PAPER = "paper", _("письменное (бумажное)")
    SOCIAL = "social", _("социальная сеть")
    OPEN311 = "open311", _("Open311")


MAP_CHANNELS = (Channel.WEB, Channel.MOBILE, Channel.OPEN311)
SELF_REGISTERING_CHANNELS = (Channel.WEB, Channel.MOBILE, Channel.OPEN311)


class Kind(models.TextChoices):
    INDIVIDUAL = "individual", _("индивидуальное")
    COLLECTIVE = "collective", _("коллективное")
    REPEATED = "repeated", _("повторное")
    COLLECTIVE_REPEATED = "collective_repeated", _("коллективное повторное")


class AppealType(models.TextChoices):
    PROPOSAL = "proposal", _("предложение")
    STATEMENT = "statement", _("заявление")
    COMPLAINT = "complaint", _("жалоба")
    REQUEST = "request", _("запрос")


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("поступило")
    REGISTERED = "registered", _("зарегистрировано")
    ROUTED = "routed", _("направлено исполнителю")
    ACCEPTED = "accepted", _("принято в работу")
    IN_PROGRESS = "in_progress", _("на рассмотрении")
    ANSWERED = "answered", _("дан ответ")
    CLOSED = "closed", _("закрыто")
    REJECTED = "rejected", _("отклонено модератором")
    MERGED = "merged", _("объединено с дублем")


OPEN_STATUSES = (Status.SUBMITTED, Status.REGISTERED, Status.ROUTED, Status.ACCEPTED, Status.IN_PROGRESS)
WORK_STATUSES = (Status.ROUTED, Status.ACCEPTED, Status.IN_PROGRESS)
DONE_STATUSES = (Status.ANSWERED, Status.CLOSED, Status.REJECTED, Status.MERGED)
PUBLIC_STATUSES = (Status.REGISTERED, Status.ROUTED, Status.ACCEPTED, Status.IN_PROGRESS, Status.ANSWERED,
                   Status.CLOSED)


class Result(models.TextChoices):
    SUPPORTED = "supported", _("поддержано")
    MEASURES_TAKEN = "measures_taken", _("поддержано, меры приняты")
    EXPLAINED = "explained", _("разъяснено")
    NOT_SUPPORTED = "not_supported", _("не поддержано")
    NO_ANSWER = "no_answer", _("оставлено без ответа")


class RejectReason(models.TextChoices):
    OBSCENE = "obscene", _("нецензурные или оскорбительные выражения, угрозы (ст. 11 ч. 3 59-ФЗ)")
    SPAM = "spam", _("спам, бессмысленный текст")
    NOT_COMPETENT = "not_competent", _("вопрос не относится к ведению органов власти")
    UNREADABLE = "unreadable", _("текст не поддаётся прочтению (ст. 11 ч. 4 59-ФЗ)")


# name -> (allowed source statuses, target status), the shape projects.models uses too. Redirect
# and extend keep or reset the working status; the trigger in migration 0002 mirrors this graph.
TRANSITIONS: dict[str, Transition] = {
    "register": allow((Status.SUBMITTED,), Status.REGISTERED),
    "route": allow((Status.REGISTERED,), Status.ROUTED),
    "accept": allow((Status.ROUTED,), Status.ACCEPTED),
    "start": allow((Status.ACCEPTED,), Status.IN_PROGRESS),
    "answer": allow((Status.ACCEPTED, Status.IN_PROGRESS), Status.ANSWERED),
    "close": allow((Status.ANSWERED,), Status.CLOSED),
    "reopen": allow((Status.ANSWERED, Status.CLOSED), Status.IN_PROGRESS),
    "redirect": allow((Status.ROUTED, Status.ACCEPTED, Status.IN_PROGRESS), Status.ROUTED),
    "reject": allow((Status.SUBMITTED, Status.REGISTERED, Status.ROUTED), Status.REJECTED),
    "merge": allow((Status.SUBMITTED, Status.REGISTERED, Status.ROUTED, Status.ACCEPTED, Status.IN_PROGRESS),
                   Status.MERGED),
}


class IllegalTransition(Conflict):
    def __init__(self, name: str, status: str) -> None:
        # the API answers with this text (409, geoportal.api): in the request's language
        label = Status(status).label if status in Status.values else status
        super().__init__(gettext("Действие «{action}» недоступно: обращение в статусе «{status}».").format(
            action=name, status=label))
        self.name = name
        self.status = status


class AppealQuerySet(models.QuerySet["Appeal"]):
    def public(self) -> AppealQuerySet:
        return self.filter(is_public=True, status__in=PUBLIC_STATUSES, duplicate_of__isnull=True)

    def open(self) -> AppealQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self, now: dt.datetime | None = None) -> AppealQuerySet:
        now = now or timezone.now()
        return self.filter(status__in=OPEN_STATUSES, deadline_at__lt=now)

    def visible_to(self, user: Any) -> AppealQuerySet:
        """Appeals the user may open in full (see issues.access for the public view)."""
        if not user or not user.is_authenticated:
            return self.none()
        if user.is_superuser or user.role in (Role.ADMIN, Role.OPERATOR, Role.MODERATOR, Role.LEADER):
            return self.all()
        if user.role in (Role.EXECUTOR, Role.AGENCY_HEAD):
            return self.filter(Q(responsible_agency_id__in=user.agency_ids()) | Q(author=user))
        return self.filter(author=user)


class Appeal(models.Model):
    number = models.CharField(_("номер"), max_length=20, unique=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="appeals")
    # Personal data of an appeal filed by an operator for a citizen without an account.
    author_name = models.CharField(_("ФИО заявителя"), max_length=255, blank=True)
    author_contact = models.CharField(_("контакты заявителя"), max_length=255, blank=True)
    channel = models.CharField(_("канал"), max_length=20, choices=Channel.choices)
    kind = models.CharField(_("вид"), max_length=20, choices=Kind.choices, default=Kind.INDIVIDUAL)
    appeal_type = models.CharField(_("тип"), max_length=20, choices=AppealType.choices, default=AppealType.STATEMENT)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="appeals")
    text = models.TextField(_("текст"))
    text_is_private = models.BooleanField(_("текст не публиковать"), default=False)
    location = models.PointField(_("место"), srid=4326, null=True, blank=True, spatial_index=True)
    location_source = models.CharField(max_length=20, blank=True)  # "pin", "photo_exif", "address"
    address = models.CharField(_("адрес проблемы"), max_length=500, blank=True)
    district = models.ForeignKey(District, null=True, blank=True, on_delete=models.PROTECT, related_name="appeals")
    responsible_agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.PROTECT,
                                           related_name="appeals")
    executor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="assigned_appeals")
    status = models.CharField(_("статус"), max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    received_at = models.DateTimeField(_("поступило"), default=timezone.now)
    registered_at = models.DateTimeField(_("зарегистрировано"), null=True, blank=True)
    routed_at = models.DateTimeField(null=True, blank=True)
    deadline_at = models.DateTimeField(_("срок ответа"), null=True, blank=True)
    answered_at = models.DateTimeField(_("дан ответ"), null=True, blank=True)
    closed_at = models.DateTimeField(_("закрыто"), null=True, blank=True)
    extended = models.BooleanField(_("срок продлён"), default=False)
    extension_reason = models.TextField(blank=True)
    result = models.CharField(_("результат рассмотрения"), max_length=20, choices=Result.choices, blank=True)
    answer_text = models.TextField(_("ответ"), blank=True)
    is_public = models.BooleanField(_("публиковать"), default=True)
    no_answer_required = models.BooleanField(_("ответ не требуется (анонимное)"), default=False)
    reject_reason = models.CharField(max_length=20, choices=RejectReason.choices, blank=True)
    moderation_note = models.TextField(blank=True)
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="duplicates")
    earlier_appeal = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="later_appeals")
    redirect_count = models.PositiveSmallIntegerField(default=0)
    reopen_count = models.PositiveSmallIntegerField(default=0)
    supporters_count = models.PositiveIntegerField(default=0)
    routing_confidence = models.FloatField(null=True, blank=True)
    routing_explanation = models.TextField(blank=True)  # in Russian, as decided (the audit's words)
    # the same explanation as phrase codes and values (routing.explanation), said in each reader's
    # language; empty for appeals routed before it was kept. db_default: bulk loads may omit it
    routing_facts = models.JSONField(default=list, blank=True, db_default=[])
    routing_suggestions = models.JSONField(default=list, blank=True)

    objects = AppealQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("обращение")
        verbose_name_plural = _("обращения")
        indexes = [
            models.Index(fields=["status", "deadline_at"]),
            models.Index(fields=["responsible_agency", "status"]),
            models.Index(fields=["received_at"]),
            # A (month, category) slice recounted by the statistics after a change
            # (analytics.histograms, analytics.facts) is read from this index alone: the columns the
            # recount reads ride along, so a cold slice of ~10,000 appeals at ten million costs a
            # few index pages instead of a random heap page per appeal (4-6 s cold without them).
            models.Index(fields=["category", "received_at"], name="appeal_category_received",
                         include=["id", "district", "responsible_agency", "status", "is_public", "duplicate_of",
                                  "registered_at", "answered_at", "deadline_at", "redirect_count", "reopen_count",
                                  "kind", "result"]),
            # the one-box search of the information centre (Russian stemming)
            GinIndex(SearchVector("text", config="russian"), name="appeal_text_search"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=Status.values), name="appeal_status_valid"),
            models.CheckConstraint(
                condition=~Q(channel__in=MAP_CHANNELS) | Q(location__isnull=False),
                name="appeal_map_channel_has_point"),
            models.CheckConstraint(condition=Q(location__isnull=False) | ~Q(address=""),
                                   name="appeal_has_point_or_address"),
            models.CheckConstraint(
                condition=Q(status__in=(Status.SUBMITTED, Status.REJECTED, Status.MERGED))
                | Q(registered_at__isnull=False, deadline_at__isnull=False),
                name="appeal_registered_has_deadline"),
            models.CheckConstraint(
                condition=~Q(status__in=(Status.ROUTED, Status.ACCEPTED, Status.IN_PROGRESS, Status.ANSWERED,
                                         Status.CLOSED)) | Q(responsible_agency__isnull=False),
                name="appeal_in_work_has_agency"),
            models.CheckConstraint(
                condition=~Q(status__in=(Status.ANSWERED, Status.CLOSED)) | (Q(answered_at__isnull=False) & ~Q(
                    result="")), name="appeal_answered_has_result"),
            models.CheckConstraint(condition=~Q(status=Status.CLOSED) | Q(closed_at__isnull=False),
                                   name="appeal_closed_has_time"),
            models.CheckConstraint(condition=~Q(status=Status.MERGED) | Q(duplicate_of__isnull=False),
                                   name="appeal_merged_has_target"),
            models.CheckConstraint(condition=~Q(status=Status.REJECTED) | ~Q(reject_reason=""),
                                   name="appeal_rejected_has_reason"),
            models.CheckConstraint(condition=Q(extended=False) | ~Q(extension_reason=""),
                                   name="appeal_extension_has_reason"),
        ]

    def __str__(self) -> str:
        return self.number

    # --- lifecycle --------------------------------------------------------------------------
    def can(self, transition: str) -> bool:
        sources, _target = TRANSITIONS[transition]
        return self.status in sources

    def apply_transition(self, transition: str, *, actor: Any, reason: str = "", data: dict[str, Any] | None = None,
                         public: bool = True, update_fields: tuple[str, ...] = ()) -> AppealEvent:
        """Move to the transition's target status, save and leave an event row behind.
        Callers (issues.actions) hold a row lock and have set the transition's other fields."""
        sources, target = TRANSITIONS[transition]
        if self.status not in sources:
            raise IllegalTransition(transition, self.status)
        previous = self.status
        self.status = target
        self.save(update_fields=["status", *update_fields])
        return AppealEvent.objects.create(
            appeal=self, actor=actor if actor is not None and actor.is_authenticated else None,
            kind=transition, from_status=previous, to_status=target, reason=reason, data=data or {},
            is_public=public,
        )

    @property
    def is_done(self) -> bool:
        return self.status in DONE_STATUSES

    def sla(self, now: dt.datetime | None = None) -> str:
        from .deadlines import sla_state

        return sla_state(self.deadline_at, now or timezone.now(), done=self.is_done)


class AppealEvent(models.Model):
    """One row per change: the audit log, the citizen's timeline and the source of statistics."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=30)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    is_public = models.BooleanField(default=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["appeal", "created_at"]), models.Index(fields=["kind", "created_at"])]


def photo_upload_to(instance: AppealPhoto, filename: str) -> str:
    return f"private/appeals/{timezone.now():%Y/%m}/{instance.appeal_id}-{filename}"


class PhotoKind(models.TextChoices):
    PROBLEM = "problem", _("фото проблемы")
    ANSWER = "answer", _("фото результата")


class AppealPhoto(models.Model):
    """The original upload stays private (it may carry EXIF with GPS and camera data);
    the public copy and thumbnail are re-encoded without metadata by a Celery task."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="photos")
    kind = models.CharField(max_length=10, choices=PhotoKind.choices, default=PhotoKind.PROBLEM)
    original = models.FileField(upload_to=photo_upload_to)
    public_copy = models.ImageField(upload_to="public/appeals/%Y/%m/", blank=True)
    thumbnail = models.ImageField(upload_to="public/appeals/thumbs/%Y/%m/", blank=True)
    gps_lat = models.FloatField(null=True, blank=True)
    gps_lon = models.FloatField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    processing_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    # The processed copies live under private/ too, under random names (issues.tasks); every
    # variant is served by issues.photo_views, which checks the caller each time: anyone while the
    # appeal is public, else only those who see the appeal in full (a hidden, rejected or merged
    # appeal's photos stop answering the moment it stops being public).
    @property
    def copy_url(self) -> str:
        return reverse("appeal-photo", args=[self.pk, "photo"])

    @property
    def thumb_url(self) -> str:
        return reverse("appeal-photo", args=[self.pk, "thumb" if self.thumbnail else "photo"])

    @property
    def original_url(self) -> str:
        return reverse("appeal-photo", args=[self.pk, "original"])


class AppealAttachment(models.Model):
    """Scans of paper appeals and other documents; staff only."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="private/attachments/%Y/%m/")
    title = models.CharField(max_length=200, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now)


class Visibility(models.TextChoices):
    PUBLIC = "public", _("публичное")
    PRIVATE = "private", _("заявителю и исполнителю")
    INTERNAL = "internal", _("служебная заметка")


class Message(models.Model):
    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.PRIVATE)
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]


class Rating(models.Model):
    """The citizen's survey after an answer (59-FZ practice: "was it solved?")."""

    appeal = models.OneToOneField(Appeal, on_delete=models.CASCADE, related_name="rating")
    solved = models.BooleanField()
    score = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    politeness = models.PositiveSmallIntegerField(null=True, blank=True,
                                                  validators=[MinValueValidator(1), MaxValueValidator(5)])
    timeliness = models.PositiveSmallIntegerField(null=True, blank=True,
                                                  validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="rating_score_range"),
        ]
        # the statistics' recount of a slice reads the ratings of its appeals from this index alone
        indexes = [models.Index(fields=["appeal"], include=["score", "solved", "politeness", "timeliness"],
                                name="rating_appeal_scores")]


class Support(models.Model):
    """A citizen joins an existing appeal instead of filing a duplicate."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="supports")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["appeal", "user"], name="unique_appeal_support")]


class ViolationKind(models.TextChoices):
    REGISTRATION = "registration", _("регистрация позже 3 дней")
    REDIRECT = "redirect", _("переадресация позже 7 дней")
    ANSWER = "answer", _("ответ позже срока")


class DeadlineViolation(models.Model):
    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="violations")
    kind = models.CharField(max_length=20, choices=ViolationKind.choices)
    agency = models.ForeignKey(Agency, null=True, on_delete=models.SET_NULL)
    detected_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["appeal", "kind"], name="unique_violation")]


class IdempotencyKey(models.Model):
    """The first response to a POST with an ``Idempotency-Key`` header; retries get it back."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    key = models.CharField(max_length=100)
    appeal = models.ForeignKey(Appeal, null=True, on_delete=models.CASCADE)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="unique_idempotency_key")]


class AppealCounter(models.Model):
    """Per-year sequence of public numbers (А-2026-000123), taken under a row lock."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)
