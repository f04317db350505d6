"""Open data, the leadership report's districts and the initiative projects' figures."""
from __future__ import annotations

from .common import CTES, public_clause


def opendata_sql(*, category: bool) -> str:
    """Published appeals (Appeal.objects.public()) received in [start, end): the open data
    columns of analytics.opendata.SCHEMA, in id order. No text, address or person."""
    ctes = [CTES["cat_tree"]] + ([CTES["category_filter"]] if category else [])
    category_where = " AND a.category_id IN (SELECT id FROM category_filter)" if category else ""
    return f"""WITH RECURSIVE {', '.join(ctes)}
    SELECT a.id, a.number,
           to_char(a.received_at AT TIME ZONE %(tz)s, 'YYYY-MM-DD"T"HH24:MI:SS') AS received_at,
           to_char(a.registered_at AT TIME ZONE %(tz)s, 'YYYY-MM-DD"T"HH24:MI:SS') AS registered_at,
           to_char(a.deadline_at AT TIME ZONE %(tz)s, 'YYYY-MM-DD"T"HH24:MI:SS') AS deadline_at,
           to_char(a.answered_at AT TIME ZONE %(tz)s, 'YYYY-MM-DD"T"HH24:MI:SS') AS answered_at,
           to_char(a.closed_at AT TIME ZONE %(tz)s, 'YYYY-MM-DD"T"HH24:MI:SS') AS closed_at,
           a.status, a.category_id, c.code AS category_code, c.name AS category, c1.name AS category_group,
           ct.section AS classifier_section, a.kind, a.appeal_type, a.channel,
           d.code AS district_code, d.name AS district, a.responsible_agency_id AS agency_id,
           ag.short_name AS agency, NULLIF(a.result, '') AS result, a.extended, a.redirect_count,
           a.reopen_count, a.supporters_count,
           CASE WHEN a.answered_at IS NOT NULL AND a.deadline_at IS NOT NULL
                THEN a.answered_at <= a.deadline_at END AS answered_on_time,
           round((extract(epoch FROM a.answered_at - a.registered_at) / 86400.0)::numeric, 2)::float8
             AS days_to_answer,
           round(ST_X(a.location)::numeric, %(precision)s)::float8 AS lon,
           round(ST_Y(a.location)::numeric, %(precision)s)::float8 AS lat
      FROM issues_appeal a
      JOIN issues_category c ON c.id = a.category_id
      JOIN cat_tree ct ON ct.id = a.category_id
      JOIN issues_category c1 ON c1.id = ct.path[1]
      LEFT JOIN geoportal_district d ON d.id = a.district_id
      LEFT JOIN geoportal_agency ag ON ag.id = a.responsible_agency_id
     WHERE {public_clause('a')} AND a.received_at >= %(start)s AND a.received_at < %(end)s{category_where}
     ORDER BY a.id"""


# --- leadership report -----------------------------------------------------------------------------
DISTRICTS_GEOJSON = """SELECT id, code, name, population,
       ST_AsGeoJSON(ST_SimplifyPreserveTopology(boundary, %(tolerance)s), 5) AS geometry
  FROM geoportal_district ORDER BY id"""


# --- initiative projects (participatory budgeting) ----------------------------------------------------
SELECTED_PROJECT_STATUSES = ["selected", "in_progress", "completed"]
IMPLEMENTING_PROJECT_STATUSES = ["in_progress", "completed"]

INITIATIVES = """WITH p AS (
    SELECT pr.id, pr.heading_id, pr.status, pr.cost_estimate, COALESCE(pr.reviewed_price, pr.cost_estimate) AS price,
           pr.cofinancing_residents, pr.cofinancing_business, pr.cofinancing_local_budget, pr.inkind_labour,
           pr.supports_count
      FROM projects_project pr
     WHERE pr.status <> 'draft' AND (%(cycle)s::bigint IS NULL OR pr.cycle_id = %(cycle)s::bigint)
), late AS (  -- milestones past due and not done, or done after their due day
    SELECT m.project_id, count(*) AS late
      FROM projects_milestone m
     WHERE m.status <> 'cancelled' AND m.due_on IS NOT NULL
       AND ((m.completed_on IS NULL AND m.due_on < %(today)s) OR m.completed_on > m.due_on)
     GROUP BY m.project_id
), spent AS (
    SELECT project_id, sum(amount) AS spent FROM projects_expense GROUP BY project_id
), reports AS (
    SELECT project_id, count(*) AS n, count(*) FILTER (WHERE status = 'answered') AS answered,
           count(*) FILTER (WHERE status = 'escalated') AS escalated, count(*) FILTER (WHERE status = 'new') AS open
      FROM projects_controlreport GROUP BY project_id
), voters AS (
    SELECT heading_id, count(*) AS voters FROM projects_ballot GROUP BY heading_id
), heads AS (
    SELECT c.id AS cycle_id, c.name AS cycle, h.id AS heading_id, h.name AS heading, d.name AS district,
           d.population, h.money AS available, COALESCE(max(v.voters), 0) AS voters,
           count(p.id) AS proposals, COALESCE(sum(p.supports_count), 0) AS supporters,
           COALESCE(sum(p.cost_estimate), 0) AS requested,
           count(p.id) FILTER (WHERE p.status = ANY(%(selected)s)) AS selected,
           COALESCE(sum(p.price) FILTER (WHERE p.status = ANY(%(selected)s)), 0) AS selected_money,
           COALESCE(sum(p.cofinancing_residents) FILTER (WHERE p.status = ANY(%(selected)s)), 0) AS cofin_residents,
           COALESCE(sum(p.cofinancing_business) FILTER (WHERE p.status = ANY(%(selected)s)), 0) AS cofin_business,
           COALESCE(sum(p.cofinancing_local_budget) FILTER (WHERE p.status = ANY(%(selected)s)), 0) AS cofin_local,
           COALESCE(sum(p.inkind_labour) FILTER (WHERE p.status = ANY(%(selected)s)), 0) AS inkind,
           count(p.id) FILTER (WHERE p.status = ANY(%(implementing)s) AND l.late IS NULL) AS on_schedule,
           count(p.id) FILTER (WHERE p.status = ANY(%(implementing)s) AND l.late > 0) AS late,
           count(p.id) FILTER (WHERE p.status = 'completed') AS completed,
           COALESCE(sum(s.spent), 0) AS executed,
           COALESCE(sum(r.n), 0) AS reports, COALESCE(sum(r.answered), 0) AS reports_answered,
           COALESCE(sum(r.escalated), 0) AS reports_escalated, COALESCE(sum(r.open), 0) AS reports_open
      FROM projects_heading h
      JOIN projects_budgetcycle c ON c.id = h.cycle_id
      LEFT JOIN geoportal_district d ON d.id = h.district_id
      LEFT JOIN voters v ON v.heading_id = h.id
      LEFT JOIN p ON p.heading_id = h.id
      LEFT JOIN late l ON l.project_id = p.id
      LEFT JOIN spent s ON s.project_id = p.id
      LEFT JOIN reports r ON r.project_id = p.id
     WHERE %(cycle)s::bigint IS NULL OR c.id = %(cycle)s::bigint
     GROUP BY c.id, c.name, h.id, h.name, d.name, d.population, h.money
)
SELECT GROUPING(heading_id) AS is_total, cycle_id, max(cycle) AS cycle, heading_id, max(heading) AS heading,
       max(district) AS district, sum(population) AS population, sum(available) AS available, sum(voters) AS voters,
       sum(voters) FILTER (WHERE population > 0)::float8 / NULLIF(sum(population) FILTER (WHERE population > 0), 0)
         AS turnout,
       sum(proposals) AS proposals, sum(supporters) AS supporters, sum(requested) AS requested,
       sum(selected) AS selected, sum(selected_money) AS selected_money, sum(cofin_residents) AS cofin_residents,
       sum(cofin_business) AS cofin_business, sum(cofin_local) AS cofin_local, sum(inkind) AS inkind,
       sum(on_schedule) AS on_schedule, sum(late) AS late, sum(completed) AS completed, sum(executed) AS executed,
       sum(reports) AS reports, sum(reports_answered) AS reports_answered,
       sum(reports_escalated) AS reports_escalated, sum(reports_open) AS reports_open
  FROM heads
 GROUP BY GROUPING SETS ((cycle_id, heading_id), (cycle_id))
 ORDER BY cycle_id, GROUPING(heading_id), max(heading)"""
