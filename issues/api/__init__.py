"""REST API of the appeals app (``/api/v1/``), one module a resource: ``reference``
(categories, agencies, districts), ``appeals`` (the list, the detail, filing, the timeline, the
dialogue, nearby) and ``lifecycle`` (the transitions, mixed into the appeals viewset).

Every view names who may call it:

- categories, agencies, districts, the public appeal list/detail, nearby: anyone;
- create: signed-in users (citizens on web/mobile; operators for phone, e-mail, paper);
- transitions: the roles in ``issues.access.TRANSITION_ROLES`` (checked in the actions);
- rate: the author; messages: the author and the responsible staff;
- ``scope=mine`` / ``scope=work``: the user's own appeals / what ``visible_to`` allows, in full."""
from __future__ import annotations

from .appeals import AppealViewSet
from .reference import AgencyViewSet, CategoryViewSet, DistrictViewSet

__all__ = ["AgencyViewSet", "AppealViewSet", "CategoryViewSet", "DistrictViewSet"]
