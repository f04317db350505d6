"""One search box across the public part of appeals, initiative projects and documents.
Each provider returns at most ``limit`` public hits; no personal data is ever searched or shown."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVector
from django.db import connection, connections, transaction
from django.db.models import F, OuterRef, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from geoportal.replica import read_alias
from issues.access import public_text

from .models import Document, DocumentVersion


@dataclass
class Hit:
    kind: str
    title: str
    url: str
    snippet: str


def search_documents(query: str, queryset: QuerySet[Document] | None = None) -> QuerySet[Document]:
    """Russian full-text search: «обращение» finds «обращений» (snowball stemming)."""
    search = SearchQuery(query, config="russian", search_type="websearch")
    current_text = Subquery(DocumentVersion.objects.filter(document=OuterRef("pk")).order_by("-number")
                            .values("text")[:1])
    # ts_headline escapes nothing: the texts are ours, but a snippet is still built from plain text
    # and only <mark> is let through by the template filter ``snippet``.
    return ((queryset if queryset is not None else Document.objects.all())
            .filter(search_vector=search)
            .annotate(rank=SearchRank(F("search_vector"), search),
                      snippet=SearchHeadline(current_text, search, config="russian", start_sel="[[",
                                             stop_sel="]]", max_words=24, min_words=12, max_fragments=1))
            .order_by("-rank", "title"))


def _documents(query: str, limit: int) -> list[Hit]:
    return [Hit("document", d.title, f"/library/{d.slug}/", d.summary[:200]) for d in
            search_documents(query)[:limit]]


# Ranking reads each candidate's text again (ts_rank over to_tsvector): over every match of a
# common word ("яма": 35,000 appeals of a million) that took 1.3 s. The GIN index finds the
# matches; at most this many of them (in the index's heap order) are ranked.
SEARCH_CANDIDATES = 1000
# A GIN scan builds the bitmap of every match before LIMIT applies: at ten million appeals
# "яма" is 352,000 matches (130–190 ms), and with the default work_mem the bitmap turns lossy,
# so thousands of rows of whole pages are rechecked by recomputing to_tsvector (another 150 ms for
# "фонарь во дворе"). Measured at 10M: an exact bitmap in 32 MB, and for a one-word query the
# index's own sample (gin_fuzzy_search_limit) of a few times the candidate count, take each of
# those queries to 50–140 ms. A query of several words keeps the full intersection: sampling
# each word's matches apart would lose most of a rare combination of common words.
SEARCH_WORK_MEM = "32MB"
ONE_WORD_SAMPLE = 4 * SEARCH_CANDIDATES


def _scan_settings(query: str, alias: str) -> None:
    """Set the candidate scan's memory and, for one lexeme, its sample size, for the current
    transaction of database ``alias`` only (one statement)."""
    with connections[alias].cursor() as cursor:
        cursor.execute(
            "SELECT set_config('work_mem', %s, true), set_config('gin_fuzzy_search_limit', "
            "CASE WHEN numnode(websearch_to_tsquery('russian', %s)) = 1 THEN %s ELSE '0' END, true)",
            [SEARCH_WORK_MEM, query, str(ONE_WORD_SAMPLE)])


def _appeals(query: str, limit: int) -> list[Hit]:
    """Public appeals matching the query, best-ranked first among a bounded candidate set: the
    first :data:`SEARCH_CANDIDATES` matches the GIN index yields (all of them for any but the
    commonest words; for one very common word, among a sample of the index's matches), ranked by
    ``ts_rank`` then recency."""
    from issues.models import Appeal

    search = SearchQuery(query, config="russian", search_type="websearch")
    vector = SearchVector("text", config="russian")  # the same expression as the GIN index
    candidates = (Appeal.objects.public().filter(text_is_private=False).annotate(document=vector)
                  .filter(document=search).order_by().values("pk")[:SEARCH_CANDIDATES])
    # The database is chosen before the transaction opens: inside a transaction of the primary,
    # geoportal.replica keeps every read on the primary, and /search/ is a replica path.
    alias = read_alias()
    with transaction.atomic(using=alias):
        _scan_settings(query, alias)
        ranked = list(Appeal.objects.using(alias).filter(pk__in=candidates).annotate(document=vector)
                      .annotate(rank=SearchRank(F("document"), search))
                      .select_related("category", "author__profile").order_by("-rank", "-received_at")
                      [:limit * CANDIDATES_PER_HIT])
    # The index matches the stored text; a hit counts only if the query also matches the public
    # text — the author's name and contacts redacted (issues.access) — or `q=<surname>` would tell
    # which appeal mentions a person. The snippet is that public text too.
    texts = [public_text(a) or "" for a in ranked]
    matching = _matching(texts, query)
    return [Hit("appeal", f"{a.number}: {a.category.label}", f"/appeals/{a.pk}/", text[:200])
            for i, (a, text) in enumerate(zip(ranked, texts, strict=True)) if i in matching][:limit]


CANDIDATES_PER_HIT = 5


def _matching(texts: list[str], query: str) -> set[int]:
    """Indexes of ``texts`` that match the web-search ``query`` (one statement)."""
    if not texts:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i - 1 FROM unnest(%s::text[]) WITH ORDINALITY AS t(body, i) "
            "WHERE to_tsvector('russian', body) @@ websearch_to_tsquery('russian', %s)", [texts, query])
        return {row[0] for row in cursor.fetchall()}


def _projects(query: str, limit: int) -> list[Hit]:
    if not apps.is_installed("projects"):
        return []
    try:
        project_model = apps.get_model("projects", "Project")
    except LookupError:
        return []
    fields = {f.name for f in project_model._meta.get_fields()}
    if not {"title", "description"} <= fields:
        return []
    search = SearchQuery(query, config="russian", search_type="websearch")
    vector = SearchVector("title", weight="A", config="russian") + SearchVector("description", config="russian")
    manager = project_model.objects
    # drafts and withdrawn proposals are their authors' business: only what the public may open
    visible = manager.public() if hasattr(manager, "public") else manager.all()
    projects = (visible.annotate(document=vector).filter(document=search)
                .annotate(rank=SearchRank(F("document"), search)).order_by("-rank")[:limit])
    return [Hit("project", p.title, f"/projects/{p.pk}/", (p.description or "")[:200]) for p in projects]


PROVIDERS: list[tuple[Any, Callable[[str, int], list[Hit]]]] = [
    (_("Обращения"), _appeals), (_("Проекты"), _projects), (_("Документы"), _documents)]


def search(query: str, limit: int = 10) -> list[tuple[Any, list[Hit]]]:
    query = query.strip()
    if len(query) < 2:
        return []
    return [(label, provider(query, limit)) for label, provider in PROVIDERS]
