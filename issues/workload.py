"""An agency head's view of the workload: open appeals per executor of the agencies they head
(and how many of them are overdue), and the executors an appeal may be reassigned to (the
reassignment itself is ``issues.actions.assign_executor`` through the API)."""
from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from geoportal.models import StaffMembership, StaffRole
from issues.models import WORK_STATUSES, Appeal


def _name(full_name: str | None, username: str | None) -> str:
    """Staff are named by the full name of their profile (the demo and the admin keep it
    there), else by their login."""
    return (full_name or "").strip() or (username or "")


def assignable_executors(agency_ids: list[int]) -> list[dict[str, Any]]:
    """Executors and heads of ``agency_ids``, each with the agencies they work in."""
    rows = (StaffMembership.objects.filter(agency_id__in=agency_ids, user__is_active=True,
                                           role__in=(StaffRole.EXECUTOR, StaffRole.AGENCY_HEAD))
            .values("user_id", "user__profile__full_name", "user__username", "agency_id")
            .order_by("user__profile__full_name", "user__username"))
    people: dict[int, dict[str, Any]] = {}
    for row in rows:
        person = people.setdefault(row["user_id"], {
            "id": row["user_id"], "agencies": [], "username": row["user__username"],
            "name": _name(row["user__profile__full_name"], row["user__username"])})
        if row["agency_id"] not in person["agencies"]:
            person["agencies"].append(row["agency_id"])
    return list(people.values())


def executor_workload(agency_ids: list[int]) -> list[dict[str, Any]]:
    """Per executor (and «не назначен»): open appeals in work and overdue ones, busiest first
    (one grouped statement)."""
    now = timezone.now()
    rows = (Appeal.objects.filter(responsible_agency_id__in=agency_ids, status__in=WORK_STATUSES)
            .values("executor_id", "executor__profile__full_name", "executor__username")
            .annotate(open=Count("id"), overdue=Count("id", filter=Q(deadline_at__lt=now))))
    known = {p["id"]: p for p in assignable_executors(agency_ids)}
    table: dict[int | None, dict[str, Any]] = {
        pk: {"executor_id": pk, "name": p["name"], "open": 0, "overdue": 0} for pk, p in known.items()}
    for row in rows:
        pk = row["executor_id"]
        entry = table.setdefault(pk, {
            "executor_id": pk, "open": 0, "overdue": 0,
            "name": _name(row["executor__profile__full_name"], row["executor__username"]) if pk else ""})
        entry["open"], entry["overdue"] = row["open"], row["overdue"]
    return sorted(table.values(), key=lambda e: (e["executor_id"] is not None, -e["open"], e["name"]))
