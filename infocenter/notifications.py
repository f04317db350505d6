"""The notification centre: a user's in-app notices (``inbox.Notification``) and everything
they follow (``Subscription``), with what each links to. The inbox's writes (reading notices,
the digest switch) are ``inbox.actions``."""
from __future__ import annotations

import re
from typing import Any

from django.apps import apps

from inbox.models import Notification

from .models import Subscription

_PROJECT_NUMBER = re.compile(r"проекту №(\d+)")
_PROJECT_TITLE = re.compile(r"^Проект «(.+?)»")


def _project_model() -> Any:
    if not apps.is_installed("projects"):
        return None
    try:
        return apps.get_model("projects", "Project")
    except LookupError:
        return None


def notification_links(notifications: list[Notification]) -> dict[int, str]:
    """Where each notice leads: its appeal's page, or the project it speaks of (by number in a
    discussion notice, by title in a project's news). Two queries at most."""
    links: dict[int, str] = {}
    titles: dict[int, str] = {}
    for notice in notifications:
        if notice.appeal_id:
            links[notice.pk] = f"/appeals/{notice.appeal_id}/"
        elif match := _PROJECT_NUMBER.search(notice.title):
            links[notice.pk] = f"/projects/{match.group(1)}/"
        elif match := _PROJECT_TITLE.match(notice.title):
            titles[notice.pk] = match.group(1)
    project = _project_model()
    if titles and project is not None:
        ids = dict(project.objects.filter(title__in=set(titles.values())).values_list("title", "pk"))
        links.update({pk: f"/projects/{ids[title]}/" for pk, title in titles.items() if title in ids})
    return links


def subscription_labels(subscriptions: list[Subscription]) -> dict[int, tuple[str, str]]:
    """(label, link) for each followed thing; one query per kind. An appeal that is no longer
    public keeps only its number."""
    from geoportal.models import District
    from issues.models import Appeal, Category

    by_kind: dict[str, set[int]] = {}
    for subscription in subscriptions:
        by_kind.setdefault(subscription.kind, set()).add(subscription.target_id)
    appeals = {a.pk: a for a in Appeal.objects.public().select_related("category")
               .filter(pk__in=by_kind.get("appeal", set()))}
    districts = dict(District.objects.filter(pk__in=by_kind.get("district", set())).values_list("pk", "name"))
    # the category's name in the request's language (Category.label); stored notices keep the Russian one
    categories = {c.pk: c.label for c in Category.objects.filter(pk__in=by_kind.get("category", set()))
                  .only("pk", "name", "name_en")}
    project = _project_model()
    projects = (dict(project.objects.filter(pk__in=by_kind.get("project", set())).values_list("pk", "title"))
                if project is not None else {})
    labels: dict[int, tuple[str, str]] = {}
    for s in subscriptions:
        if s.kind == "appeal":
            appeal = appeals.get(s.target_id)
            labels[s.pk] = ((f"{appeal.number}: {appeal.category.label}", f"/appeals/{s.target_id}/") if appeal
                            else (f"№{s.target_id}", ""))
        elif s.kind == "project":
            labels[s.pk] = (projects.get(s.target_id, f"№{s.target_id}"), f"/projects/{s.target_id}/")
        elif s.kind == "district":
            labels[s.pk] = (districts.get(s.target_id, f"№{s.target_id}"), "/map/")
        else:
            labels[s.pk] = (categories.get(s.target_id, f"№{s.target_id}"), "/map/")
    return labels
