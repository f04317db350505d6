"""Initiative (participatory budgeting) analytics per cycle and heading (district): proposals,
supporters, voters and turnout (ballots / residents of the heading's district), money requested
vs available vs selected, co-financing by source (of selected projects), implementation on
schedule or late (a project is late when one of its milestones is past due and not done, or was
done after its due day), budget executed (recorded expenses) and residents' control reports with
how they were resolved. One statement (analytics.sql.INITIATIVES). Money is Decimal, sent as
strings in JSON."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from geoportal.converters import query_id
from geoportal.replica import read_connection as connection  # lag-tolerant reads: the replica if set

from . import api_docs, sql

MONEY = ("available", "requested", "selected_money", "cofin_residents", "cofin_business", "cofin_local", "inkind",
         "executed")


def initiative_stats(cycle: int | None) -> list[dict[str, Any]]:
    params = {"cycle": cycle, "today": timezone.localdate(), "selected": sql.SELECTED_PROJECT_STATUSES,
              "implementing": sql.IMPLEMENTING_PROJECT_STATUSES}
    with connection.cursor() as cursor:
        cursor.execute(sql.INITIATIVES, params)
        names = [c.name for c in cursor.description]
        rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    out = []
    for row in rows:
        row["level"] = "cycle" if row.pop("is_total") else "heading"
        for name in MONEY:
            row[name] = str(Decimal(row[name] or 0).quantize(Decimal("0.01")))
        row["turnout"] = round(row["turnout"], 4) if row["turnout"] is not None else None
        row["currency"] = "RUB"
        out.append(row)
    return out


class InitiativeStatsView(APIView):
    """Anyone: aggregate figures of initiative projects (no personal data: no authors, group
    members, voters or report texts). ``cycle`` = id to restrict to one cycle."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(parameters=[OpenApiParameter("cycle", int)], responses={200: api_docs.Initiatives})
    def get(self, request: Request) -> Response:
        unknown = set(request.query_params) - {"cycle"}
        raw = request.query_params.get("cycle", "")
        cycle = query_id(raw)
        if unknown or (raw and cycle is None):
            raise ValidationError({"cycle": gettext("id цикла (целое число); других параметров нет.")})
        return Response({"results": initiative_stats(cycle)})
