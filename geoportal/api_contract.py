"""The API's contract in data (no Django or DRF import: settings read it): the shared error
shape, the tags, the id type. ``geoportal.openapi`` applies them to every operation."""
from __future__ import annotations

from typing import Any

ID_MAX_DIGITS = 18
# A database id in a path (``geoportal.converters``): what the converter matches.
ID_SCHEMA = {"type": "integer", "minimum": 0, "maximum": 10**ID_MAX_DIGITS - 1}

ERROR_REF = {"$ref": "#/components/schemas/Error"}
ERROR_COMPONENT: dict[str, Any] = {
    "type": "object",
    "description": (
        "Every error answer of the API. `detail` is one message in the request's language "
        "(Accept-Language: ru, en) for 401, 403, 404, 405, 409, 415, 429 and 5xx; a 400 names each "
        "refused field or query parameter with its messages (a string or a list), and "
        "`non_field_errors` holds errors of the request as a whole."),
    "properties": {
        "detail": {"type": "string", "description": "What went wrong, for a person to read."},
        "non_field_errors": {"type": "array", "items": {}, "description": "Errors not tied to one field."},
    },
    "additionalProperties": {
        "description": "Errors of the field or parameter named by the key.",
        "anyOf": [{"type": "string"}, {"type": "array", "items": {}}, {"type": "object"}],
    },
    "example": {"lat": ["Координаты вне диапазона."], "category": ["Неизвестная категория."]},
}
ERROR_DESCRIPTIONS = {
    "400": "Bad input: the field errors (`{field: [messages]}`).",
    "401": "Sign-in required (a token, an API key or a session).",
    "403": "Not allowed for this caller (or a bad token / API key).",
    "404": "No such object, or not visible to this caller.",
    "409": "The object's state does not allow this now (e.g. a transition from the wrong status).",
    "415": "The body's content type is not one this operation reads.",
    "413": "The body is larger than the cap for its kind (JSON or upload); refused before it is read.",
    "429": "Too many requests: wait `Retry-After` seconds.",
    "503": "Temporarily unavailable (the database is unreachable, or the server is saturated): "
           "retry after `Retry-After` seconds.",
}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

# Tag of an operation by the first segment of its path under /api/v1/.
TAGS_BY_SEGMENT = {
    "appeals": "appeals", "notifications": "notifications",
    "categories": "reference", "agencies": "reference", "districts": "reference",
    "projects": "initiatives", "budget-cycles": "initiatives", "headings": "initiatives",
    "stats": "statistics", "opendata": "open data",
    "heatmap": "maps", "clusters": "maps", "choropleth": "maps", "map": "maps",
    "documents": "information centre", "comments": "information centre", "subscriptions": "information centre",
    "auth": "auth",
}
TAGS = [
    {"name": "appeals", "description": "Citizens' appeals (59-FZ): filing, the public map list, the lifecycle."},
    {"name": "notifications", "description": "The signed-in user's notifications and what they receive."},
    {"name": "reference", "description": "Categories, agencies and districts."},
    {"name": "initiatives", "description": "Initiative budgeting: cycles, projects, ballots, results."},
    {"name": "statistics", "description": "Pivot statistics, scorecards, satisfaction, insights."},
    {"name": "maps", "description": "Aggregates for the map: heat map, clusters, choropleth, projects."},
    {"name": "open data", "description": "Published appeals as CSV, GeoJSON, GeoPackage (CC BY 4.0)."},
    {"name": "information centre", "description": "Document library, comments, subscriptions."},
    {"name": "auth", "description": "API tokens."},
]
