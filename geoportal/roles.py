"""Which role a user acts in, asked one way by pages, the API and templates.

A superuser acts as an administrator whatever their ``role`` field says; an anonymous visitor
has no role. Whether an administrator is among the allowed roles is the caller's choice (an
administrator does not take an agency's appeals into work, for instance), so it is always
named explicitly. What each role may do with an appeal or a project stays decided by the
owning app (``issues.access``, ``projects.access``), which asks here for the role.

- ``has_role(user, *roles)``: the question itself;
- ``@role_required(*roles, message=...)``: a page's check (anonymous → sign in, others → 403),
  and ``require_role(request, *roles, message=...)`` where a page decides something first;
- ``HasRole.of(*roles, message=...)``: the same as a DRF permission class;
- ``{% load roles %}{% if user|has_role:"leader,admin" %}``: the same in a template."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.translation import gettext_lazy
from rest_framework import permissions

from .models import Role


def role_of(user: Any) -> str | None:
    """The role ``user`` acts in: ``admin`` for a superuser, ``None`` when not signed in."""
    if not user or not user.is_authenticated:
        return None
    return str(Role.ADMIN if user.is_superuser else user.role)


def has_role(user: Any, *roles: str) -> bool:
    """Does ``user`` act in one of ``roles``? (name ``Role.ADMIN`` to let administrators in)"""
    return role_of(user) in roles


def is_staff_member(user: Any) -> bool:
    """Any signed-in account that is not a citizen's (officials, leaders, administrators)."""
    return role_of(user) not in (None, Role.CITIZEN)


def require_role(request: HttpRequest, *roles: str, message: Any = None) -> None:
    """A view's check inside its body (where it first decides something else): 403 with
    ``message`` unless the user acts in one of ``roles``."""
    if not has_role(request.user, *roles):
        raise PermissionDenied(str(message or gettext_lazy("Доступ запрещён.")))


def role_required(*roles: str, message: Any = None) -> Callable[[Callable[..., HttpResponseBase]],
                                                               Callable[..., HttpResponseBase]]:
    """A page for ``roles`` only: anonymous visitors are sent to sign in, other roles get 403
    with ``message`` (the reason shown on the 403 page)."""

    def decorator(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if role_of(request.user) is None:
                return redirect_to_login(request.get_full_path())
            require_role(request, *roles, message=message)
            return view(request, *args, **kwargs)

        return checked

    return decorator


class HasRole(permissions.BasePermission):
    """DRF permission: the user acts in one of ``roles``. Make one with ``HasRole.of(...)``."""

    roles: tuple[str, ...] = ()
    message: Any = gettext_lazy("Доступ запрещён.")

    def has_permission(self, request: Any, view: Any) -> bool:
        return has_role(request.user, *self.roles)

    @classmethod
    def of(cls, *roles: str, message: Any = None) -> type[HasRole]:
        attrs: dict[str, Any] = {"roles": roles, "__doc__": f"Roles: {', '.join(roles)}."}
        if message is not None:
            attrs["message"] = message
        return type(f"HasRole_{'_'.join(roles)}", (cls,), attrs)
