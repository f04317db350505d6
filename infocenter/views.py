"""Pages of the information centre. Reading is public; editing pages is for moderators and
administrators (``infocenter.actions.can_edit``); the document API is read-only for everyone."""
from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions, serializers, viewsets

from geoportal.converters import query_id

from .actions import can_edit, save_page
from .models import Document, DocumentStatus, DocumentType, DocumentVersion, Level, News, Page
from .rendering import render_markdown
from .search import search, search_documents
from .stats import headline


def home(request: HttpRequest) -> HttpResponse:
    """Anyone: what a citizen can do here, public headline counts, news, the 59-FZ deadlines."""
    news = [(item, mark_safe(render_markdown(item.body)))  # noqa: S308 (sanitised by nh3)
            for item in News.objects.filter(published_at__lte=timezone.now())[:3]]
    return render(request, "infocenter/home.html", {
        "figures": headline(), "news": news,
        "documents": Document.objects.order_by("-id")[:4],
        "pages": Page.objects.all()[:6]})


def page_view(request: HttpRequest, slug: str) -> HttpResponse:
    page = get_object_or_404(Page, slug=slug)
    return render(request, "infocenter/page.html", {"page": page, "body": mark_safe(render_markdown(page.body)),  # noqa: S308
                                                    "can_edit": can_edit(request.user)})


class PageForm(forms.Form):
    title = forms.CharField(error_messages={"required": gettext_lazy("Укажите заголовок.")})
    body = forms.CharField(required=False, strip=False)


def page_edit(request: HttpRequest, slug: str) -> HttpResponse:
    """Moderators and administrators (``can_edit``): a page's title and Markdown body."""
    if not can_edit(request.user):
        raise PermissionDenied
    page = Page.objects.filter(slug=slug).first()
    errors = {}
    if request.method == "POST":
        form = PageForm(request.POST)
        if form.is_valid():
            save_page(actor=request.user, slug=slug, **form.cleaned_data)
            return redirect("infocenter-page", slug=slug)
        errors = {name: str(found[0]) for name, found in form.errors.items()}
    return render(request, "infocenter/page_edit.html", {"page": page, "slug": slug, "errors": errors},
                  status=400 if errors else 200)


FILTERS = ("doc_type", "level", "status", "year")


def filter_documents(documents: QuerySet[Document], filters: dict[str, Any]) -> QuerySet[Document]:
    """The library's filters (type, level, status, year of adoption) and the search box ``q``."""
    for field in ("doc_type", "level", "status"):
        if filters.get(field):
            documents = documents.filter(**{field: filters[field]})
    year = query_id(str(filters.get("year") or ""))  # the API's serializer gives an int, the page a string
    if year is not None and dt.MINYEAR <= year <= dt.MAXYEAR:  # a date's year; any other is no year
        documents = documents.filter(adopted_on__year=year)
    query = str(filters.get("q") or "").strip()
    return search_documents(query, documents) if query else documents


def library(request: HttpRequest) -> HttpResponse:
    filters = {key: request.GET.get(key, "") for key in FILTERS}
    query = request.GET.get("q", "").strip()
    documents = filter_documents(Document.objects.all(), {**filters, "q": query})
    years = sorted({d.year for d in Document.objects.values_list("adopted_on", flat=True) if d}, reverse=True)
    return render(request, "infocenter/library.html", {
        "documents": documents.select_related("territory"), "query": query, "filters": filters, "years": years,
        "types": DocumentType.choices,
        "levels": Level.choices, "statuses": DocumentStatus.choices})


def document_view(request: HttpRequest, slug: str) -> HttpResponse:
    document = get_object_or_404(Document.objects.select_related("territory"), slug=slug)
    versions = list(document.versions.all())
    number = request.GET.get("version")
    current = next((v for v in versions if str(v.number) == number), versions[0] if versions else None)
    return render(request, "infocenter/document.html", {"document": document, "versions": versions,
                                                        "current": current})


def search_view(request: HttpRequest) -> HttpResponse:
    """Anyone: one box over public appeals, projects and documents."""
    query = request.GET.get("q", "")
    return render(request, "infocenter/search.html", {"query": query, "groups": search(query)})


class DocumentFilters(serializers.Serializer[Any]):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200)
    doc_type = serializers.ChoiceField(choices=DocumentType.choices, required=False)
    level = serializers.ChoiceField(choices=Level.choices, required=False)
    status = serializers.ChoiceField(choices=DocumentStatus.choices, required=False)
    year = serializers.IntegerField(required=False, min_value=1900, max_value=2100)


class VersionSerializer(serializers.ModelSerializer[DocumentVersion]):
    class Meta:
        model = DocumentVersion
        fields = ["number", "note", "created_at", "file", "text"]


class DocumentSerializer(serializers.ModelSerializer[Document]):
    versions = VersionSerializer(many=True, read_only=True)
    url = serializers.SerializerMethodField()
    territory: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="name", read_only=True)

    class Meta:
        model = Document
        fields = ["slug", "url", "title", "doc_type", "level", "territory", "status", "adopted_on", "summary",
                  "versions"]

    def get_url(self, obj: Document) -> str:
        return f"/library/{obj.slug}/"


@extend_schema_view(list=extend_schema(parameters=[DocumentFilters]))
class DocumentViewSet(viewsets.ReadOnlyModelViewSet[Document]):
    """Anyone: the document library (read-only, GET only). ``?q=`` searches in Russian;
    ``doc_type``, ``level``, ``status``, ``year`` filter; a bad value is a 400 with field errors."""

    permission_classes = [permissions.AllowAny]
    serializer_class = DocumentSerializer
    lookup_field = "slug"
    lookup_value_converter = "str"

    def get_queryset(self) -> Any:
        base = Document.objects.select_related("territory").prefetch_related("versions")
        if self.action != "list":
            return base
        filters = DocumentFilters(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return filter_documents(base, filters.validated_data)
