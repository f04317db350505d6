"""The information centre: staff-edited pages (Markdown, sanitised) and the document library
with versions and Russian full-text search."""
from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.validators import FileExtensionValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from geoportal.models import District


class Page(models.Model):
    slug = models.SlugField(unique=True)
    title = models.CharField(_("заголовок"), max_length=200)
    body = models.TextField(_("текст (Markdown)"), blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["title"]
        verbose_name = _("страница")
        verbose_name_plural = _("страницы")

    def __str__(self) -> str:
        return self.title


class News(models.Model):
    """A short news item on the home page; drafts (``published_at`` empty or in the future) stay hidden."""

    title = models.CharField(_("заголовок"), max_length=200)
    body = models.TextField(_("текст (Markdown)"), blank=True)
    published_at = models.DateTimeField(_("опубликовано"), null=True, blank=True, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("новость")
        verbose_name_plural = _("новости")

    def __str__(self) -> str:
        return self.title


MAX_DOCUMENT_FILE_BYTES = 20 * 1024 * 1024


def validate_document_file_size(value: File) -> None:  # type: ignore[type-arg]
    if value.size is not None and value.size > MAX_DOCUMENT_FILE_BYTES:
        raise ValidationError(_("Файл больше 20 МБ."), code="file_too_large")


class DocumentType(models.TextChoices):
    MODEL_ACT = "model_act", _("модельный (типовой) акт")
    REGIONAL_ACT = "regional_act", _("региональный акт")
    MUNICIPAL_ACT = "municipal_act", _("муниципальный акт")
    METHODOLOGY = "methodology", _("методический материал")
    TEMPLATE = "template", _("форма / шаблон")


class Level(models.TextChoices):
    FEDERAL = "federal", _("федеральный")
    REGIONAL = "regional", _("региональный")
    MUNICIPAL = "municipal", _("муниципальный")


class DocumentStatus(models.TextChoices):
    IN_FORCE = "in_force", _("действует")
    SUPERSEDED = "superseded", _("утратил силу / заменён")
    TEMPLATE = "template", _("типовой шаблон")


class Document(models.Model):
    slug = models.SlugField(unique=True, help_text=_("постоянная ссылка"))
    title = models.CharField(_("название"), max_length=400)
    doc_type = models.CharField(_("вид"), max_length=20, choices=DocumentType.choices)
    level = models.CharField(_("уровень"), max_length=20, choices=Level.choices)
    territory = models.ForeignKey(District, null=True, blank=True, on_delete=models.SET_NULL)
    adopted_on = models.DateField(_("дата принятия"), null=True, blank=True)
    status = models.CharField(_("статус"), max_length=20, choices=DocumentStatus.choices)
    summary = models.TextField(_("аннотация"), blank=True)
    # title + summary + the current version's text, weighted; kept by infocenter.actions
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["title"]
        verbose_name = _("документ")
        verbose_name_plural = _("документы")
        indexes = [GinIndex(fields=["search_vector"], name="document_search_gin")]

    def __str__(self) -> str:
        return self.title

    @property
    def current(self) -> DocumentVersion | None:
        return self.versions.order_by("-number").first()


class DocumentVersion(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    text = models.TextField(_("текст"))
    file = models.FileField(upload_to="library/%Y/", blank=True,
                            validators=[FileExtensionValidator(["pdf", "docx"]), validate_document_file_size])
    note = models.CharField(_("что изменилось"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["document", "number"], name="unique_document_version")]


class Comment(models.Model):
    """A comment on a public appeal or a project; two levels deep. A question answered by an
    official gets an official answer (``is_official``)."""

    kind = models.CharField(max_length=10, choices=[("appeal", _("обращение")), ("project", _("проект"))])
    target_id = models.BigIntegerField()
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    text = models.TextField()
    is_question = models.BooleanField(default=False)
    is_official = models.BooleanField(default=False)
    answered_at = models.DateTimeField(null=True, blank=True)
    is_hidden = models.BooleanField(default=False)
    moderation_note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["kind", "target_id", "created_at"])]


class CommentReport(models.Model):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    reason = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["comment", "reporter"], name="unique_comment_report")]


class Subscription(models.Model):
    class Kind(models.TextChoices):
        APPEAL = "appeal", _("обращение")
        PROJECT = "project", _("проект")
        DISTRICT = "district", _("район")
        CATEGORY = "category", _("категория")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subscriptions")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    target_id = models.BigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind", "target_id"], name="unique_subscription")]
        indexes = [models.Index(fields=["kind", "target_id"])]
