"""Load the starter category tree and its rule table (idempotent)."""
from __future__ import annotations

from django.db import transaction

from geoportal.models import Agency, AgencyKind

from .categories_data import DISTRICT_ADMIN, TREE
from .models import Category, CategoryRoute, DeadlineRule


@transaction.atomic
def load_categories() -> int:
    agencies = {a.short_name: a for a in Agency.objects.all()}
    district_admins = list(Agency.objects.filter(kind=AgencyKind.DISTRICT_ADMINISTRATION))
    count = 0
    for code, name, name_en, leaves in TREE:
        parent, _ = Category.objects.update_or_create(code=code, defaults={"name": name, "name_en": name_en,
                                                                           "parent": None})
        count += 1
        for leaf in leaves:
            category, _ = Category.objects.update_or_create(code=leaf.code, defaults={
                "parent": parent, "name": leaf.name, "name_en": leaf.name_en, "classifier_code": leaf.classifier,
                "deadline_rule": DeadlineRule.WORKING_DAYS if leaf.working_days else DeadlineRule.CALENDAR_DAYS,
                "deadline_days": leaf.working_days or 30, "photo_required": leaf.photo,
                "anonymous_allowed": not leaf.code.startswith("social"), "is_active": True})
            count += 1
            targets = district_admins if leaf.agencies == (DISTRICT_ADMIN,) else [
                agencies[s] for s in leaf.agencies if s in agencies]
            for priority, agency in enumerate(targets):
                CategoryRoute.objects.update_or_create(category=category, agency=agency,
                                                       defaults={"priority": priority})
    return count
