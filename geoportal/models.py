"""Shared core: users and their roles, districts, agencies and staff membership.

Every domain app (appeals, initiatives) refers to these; this module imports none of them."""
from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CITIZEN = "citizen", _("Гражданин")
    OPERATOR = "operator", _("Оператор")
    EXECUTOR = "executor", _("Исполнитель")
    AGENCY_HEAD = "agency_head", _("Руководитель ведомства")
    MODERATOR = "moderator", _("Модератор")
    LEADER = "leader", _("Руководство / аналитик")
    ADMIN = "admin", _("Администратор")


STAFF_ROLES = frozenset({Role.OPERATOR, Role.EXECUTOR, Role.AGENCY_HEAD, Role.MODERATOR, Role.ADMIN})


class User(AbstractUser):
    """A person using the portal. ``role`` is the platform-wide role; agency-bound roles
    (operator, executor, head) are held through :class:`StaffMembership`."""

    role = models.CharField(_("роль"), max_length=20, choices=Role.choices, default=Role.CITIZEN)

    class Meta:
        verbose_name = _("пользователь")
        verbose_name_plural = _("пользователи")

    @property
    def is_citizen(self) -> bool:
        return self.role == Role.CITIZEN

    def has_role(self, *roles: str) -> bool:
        return self.is_authenticated and (self.role in roles or self.is_superuser and Role.ADMIN in roles)

    def agency_ids(self, *roles: str) -> list[int]:
        """Agencies where the user holds one of ``roles`` (any role when none given)."""
        memberships = self.memberships.filter(agency__is_active=True)
        if roles:
            memberships = memberships.filter(role__in=roles)
        return list(memberships.values_list("agency_id", flat=True))


class CitizenProfile(models.Model):
    """Personal data of a citizen. Never exposed by public pages or APIs (59-FZ art. 6)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    full_name = models.CharField(_("ФИО"), max_length=255)
    phone = models.CharField(_("телефон"), max_length=32, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    postal_address = models.CharField(_("почтовый адрес"), max_length=500, blank=True)
    public_name = models.CharField(
        _("имя для публичных комментариев"),
        max_length=100,
        blank=True,
        help_text=_("Пусто — комментарии подписываются «Житель»."),
    )

    class Meta:
        verbose_name = _("профиль гражданина")
        verbose_name_plural = _("профили граждан")

    def __str__(self) -> str:
        return self.full_name


class District(models.Model):
    """An administrative district of the served territory."""

    name = models.CharField(_("название"), max_length=200)
    code = models.SlugField(_("код"), max_length=50, unique=True)
    population = models.PositiveIntegerField(_("население"), default=0)
    boundary = models.MultiPolygonField(_("граница"), srid=4326, spatial_index=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("район")
        verbose_name_plural = _("районы")
        constraints = [
            models.CheckConstraint(
                condition=Q(boundary__isvalid=True), name="district_boundary_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def containing(cls, point: object) -> District | None:
        """The district whose boundary contains ``point`` (ties on a border: lowest id)."""
        return cls.objects.filter(boundary__intersects=point).order_by("id").first()


class AgencyKind(models.TextChoices):
    REGIONAL_MINISTRY = "regional_ministry", _("Региональное министерство")
    STATE_INSPECTION = "state_inspection", _("Государственная инспекция")
    CITY_ADMINISTRATION = "city_administration", _("Администрация города")
    DISTRICT_ADMINISTRATION = "district_administration", _("Администрация района")
    MUNICIPAL_SERVICE = "municipal_service", _("Муниципальная служба")
    UTILITY_COMPANY = "utility_company", _("Ресурсоснабжающая организация")
    OTHER = "other", _("Иное")


class AgencyQuerySet(models.QuerySet["Agency"]):
    def active(self) -> AgencyQuerySet:
        return self.filter(is_active=True)

    def serving(self, point: object) -> AgencyQuerySet:
        """Agencies competent at ``point``: by jurisdiction polygon or by district."""
        return self.filter(Q(jurisdiction__intersects=point) | Q(districts__boundary__intersects=point)).distinct()


class Agency(models.Model):
    """A body that handles appeals or implements projects."""

    name = models.CharField(_("название"), max_length=300)
    short_name = models.CharField(_("краткое название"), max_length=100, unique=True)
    kind = models.CharField(_("вид"), max_length=40, choices=AgencyKind.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("вышестоящее"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="children",
    )
    jurisdiction = models.MultiPolygonField(
        _("территория ведения"), srid=4326, null=True, blank=True, spatial_index=True
    )
    districts = models.ManyToManyField(District, verbose_name=_("районы"), blank=True, related_name="agencies")
    email = models.EmailField(_("e-mail"), blank=True)
    is_active = models.BooleanField(_("действует"), default=True)

    objects = AgencyQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("ведомство")
        verbose_name_plural = _("ведомства")
        constraints = [
            models.CheckConstraint(
                condition=Q(jurisdiction__isnull=True) | Q(jurisdiction__isvalid=True),
                name="agency_jurisdiction_valid",
            ),
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="agency_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.short_name


class StaffRole(models.TextChoices):
    OPERATOR = "operator", _("Оператор")
    EXECUTOR = "executor", _("Исполнитель")
    AGENCY_HEAD = "agency_head", _("Руководитель")


class StaffMembership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("роль"), max_length=20, choices=StaffRole.choices)

    class Meta:
        verbose_name = _("сотрудник ведомства")
        verbose_name_plural = _("сотрудники ведомств")
        constraints = [
            models.UniqueConstraint(fields=["user", "agency", "role"], name="unique_staff_membership"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.agency} ({self.get_role_display()})"
