"""One role check (geoportal.roles) asked by pages, the API's permission class and templates:
the same answer everywhere, a superuser acting as an administrator whatever their role field."""
from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from rest_framework.test import APIRequestFactory


@pytest.fixture
def superuser_with_citizen_role(personas):
    from geoportal.models import Role, User

    return User.objects.create_superuser("root-citizen", "root@example.org", "demo12345", role=Role.CITIZEN)


@pytest.mark.django_db
def test_the_leadership_page_refuses_as_the_api_permission_and_the_menu_do(personas, superuser_with_citizen_role):
    from analytics.access import IsLeader

    anonymous = personas.client("anonymous").get("/stats/leadership/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    refused = personas.client("operator").get("/stats/leadership/")
    assert refused.status_code == 403
    assert '<p id="refusal-reason">Доступно руководству и администраторам.</p>' in refused.content.decode()
    root = Client()
    root.force_login(superuser_with_citizen_role)
    for client, allowed in [(personas.client("leader"), True), (personas.client("admin"), True), (root, True),
                            (personas.client("operator"), False), (personas.client("citizen"), False)]:
        assert (client.get("/stats/leadership/").status_code == 200) is allowed
        # the statistics menu offers the report exactly to those the page lets in
        assert ('href="/stats/leadership/"' in client.get("/stats/pivot/").content.decode()) is allowed
    request = APIRequestFactory().get("/")
    for user, allowed in [(personas.leader, True), (superuser_with_citizen_role, True), (personas.operator, False)]:
        request.user = user
        assert IsLeader().has_permission(request, None) is allowed


@pytest.mark.django_db
def test_a_page_decorated_for_roles_signs_in_refuses_with_the_reason_or_lets_in(personas):
    from django.core.exceptions import PermissionDenied
    from django.http import HttpResponse

    from geoportal.models import Role
    from geoportal.roles import role_required

    @role_required(Role.MODERATOR, message="only moderators")
    def view(request):
        return HttpResponse("in")

    request = RequestFactory().get("/somewhere/?x=1")
    request.user = personas.moderator
    assert view(request).content == b"in"
    request.user = personas.admin
    with pytest.raises(PermissionDenied, match="only moderators"):
        view(request)  # an administrator is let in only where the roles name Role.ADMIN
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    assert view(request)["Location"] == "/accounts/login/?next=/somewhere/%3Fx%3D1"
