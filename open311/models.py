"""Open311 GeoReport v2: client API keys, the extra questions of a category (service
attributes) and the Open311 side of an appeal (token, answers, requester contacts)."""
from __future__ import annotations

import hashlib
import secrets
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from issues.models import Appeal, Category


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiKeyQuerySet(models.QuerySet["ApiKey"]):
    def find(self, raw: str) -> ApiKey | None:
        if not raw:
            return None
        return self.filter(key_hash=hash_key(raw.strip()), revoked_at__isnull=True).select_related("owner").first()


class ApiKey(models.Model):
    """A client application's key. Only its hash is stored; the raw key is shown once."""

    name = models.CharField(_("приложение"), max_length=200)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys")
    prefix = models.CharField(max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    rate_limit_per_minute = models.PositiveIntegerField(_("запросов в минуту"), default=60)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(_("отозван"), null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("кем отозван"))

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = _("API-ключ")
        verbose_name_plural = _("API-ключи")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, *, name: str, owner: Any, rate_limit_per_minute: int = 60) -> tuple[ApiKey, str]:
        """A new key and its raw value (the only moment the raw value exists)."""
        key = cls(name=name, owner=owner, rate_limit_per_minute=rate_limit_per_minute)
        raw = key.set_new_secret()
        key.save()
        return key, raw

    def set_new_secret(self) -> str:
        raw = secrets.token_urlsafe(32)
        while raw.startswith("-"):  # a prefix "-…" reads as an option: `api_key revoke --prefix -AbC` fails
            raw = secrets.token_urlsafe(32)
        self.prefix, self.key_hash = raw[:8], hash_key(raw)
        return raw

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Datatype(models.TextChoices):
    STRING = "string"
    NUMBER = "number"
    DATETIME = "datetime"
    TEXT = "text"
    SINGLE = "singlevaluelist"
    MULTI = "multivaluelist"


class CategoryAttribute(models.Model):
    """An extra question of a category, published as a GeoReport service attribute."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="open311_attributes")
    code = models.SlugField(max_length=60)
    datatype = models.CharField(max_length=20, choices=Datatype.choices, default=Datatype.STRING)
    required = models.BooleanField(default=False)
    description = models.CharField(max_length=300)
    datatype_description = models.CharField(max_length=300, blank=True)
    order = models.PositiveSmallIntegerField(default=1)
    values = models.JSONField(default=list, blank=True, help_text='[{"key": "...", "name": "..."}]')

    class Meta:
        ordering = ["category_id", "order"]
        verbose_name = _("вопрос категории (Open311)")
        verbose_name_plural = _("вопросы категорий (Open311)")
        constraints = [models.UniqueConstraint(fields=["category", "code"], name="unique_category_attribute")]

    def __str__(self) -> str:
        return f"{self.category.code}: {self.code}"

    @property
    def is_list(self) -> bool:
        return self.datatype in (Datatype.SINGLE, Datatype.MULTI)

    def allowed_keys(self) -> set[str]:
        return {str(v["key"]) for v in self.values if isinstance(v, dict) and "key" in v}

    def clean(self) -> None:
        values_ok = isinstance(self.values, list) and all(
            isinstance(v, dict) and str(v.get("key", "")).strip() and str(v.get("name", "")).strip()
            for v in self.values)
        if not values_ok:
            raise ValidationError({"values": _('Список вида [{"key": "...", "name": "..."}].')})
        if self.is_list and not self.values:
            raise ValidationError({"values": _("Для списка нужны варианты ответа.")})
        if not self.is_list and self.values:
            raise ValidationError({"values": _("Варианты ответа бывают только у списков.")})


class Open311Request(models.Model):
    """What an Open311 client sent with an appeal. The requester's contacts are personal data:
    they reach the staff through the appeal, never any GET response."""

    appeal = models.OneToOneField(Appeal, on_delete=models.CASCADE, related_name="open311")
    token = models.UUIDField(default=uuid.uuid4, unique=True)
    api_key = models.ForeignKey(ApiKey, null=True, on_delete=models.SET_NULL)
    attributes = models.JSONField(default=dict, blank=True)
    # A client's own media link: stored as sent (it is not fetched: the portal works offline).
    media_url = models.URLField(max_length=2000, blank=True)
    address_id = models.CharField(max_length=100, blank=True)
    # "lat_long", "photo_gps" or "address_book" (an address the portal already knows a point for)
    location_from = models.CharField(max_length=20, blank=True)
    device_id = models.CharField(max_length=100, blank=True)
    account_id = models.CharField(max_length=100, blank=True)
