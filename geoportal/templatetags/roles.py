"""``{% load roles %}`` then ``{% if user|has_role:"leader,admin" %}``: the templates' form of
``geoportal.roles.has_role`` (roles comma-separated)."""
from __future__ import annotations

from typing import Any

from django import template

from geoportal import roles

register = template.Library()


@register.filter(name="has_role")
def has_role(user: Any, names: str) -> bool:
    return roles.has_role(user, *(name.strip() for name in names.split(",") if name.strip()))
