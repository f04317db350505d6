"""The writes of the Open311 app: a client's service request (through the appeals app's
``submit_appeal``, like the web form) and the issue and revocation of API keys."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.gis.geos import Point
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from issues import actions as appeal_actions
from issues.models import Category, Channel

from .models import ApiKey, Open311Request


@dataclass
class ServiceRequest:
    """A validated GeoReport v2 POST (see ``open311.inputs.parse_service_request``)."""

    category: Category
    description: str
    location: Point | None
    location_from: str
    address: str = ""
    address_id: str = ""
    photos: Sequence[tuple[UploadedFile, tuple[float, float] | None]] = ()
    attributes: dict[str, Any] = field(default_factory=dict)
    media_url: str = ""
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    device_id: str = ""
    account_id: str = ""

    @property
    def requester_name(self) -> str:
        return " ".join(filter(None, [self.last_name.strip(), self.first_name.strip()]))

    @property
    def requester_contact(self) -> str:
        return ", ".join(filter(None, [self.email.strip(), self.phone.strip()]))


@transaction.atomic
def submit_service_request(data: ServiceRequest, *, key: ApiKey) -> Open311Request:
    """File the appeal on behalf of a requester who is usually not a portal user.

    The appeal has no author account, so an operator registers it (59-FZ: within 3 days):
    the client gets a token that resolves to the service_request_id once registered. The
    requester's name and contacts go only to the appeal's staff-only fields."""
    appeal = appeal_actions.submit_appeal(
        author=None, actor=key.owner, channel=Channel.OPEN311, category=data.category, text=data.description,
        location=data.location, address=data.address, photos=data.photos, author_name=data.requester_name,
        author_contact=data.requester_contact)
    record = Open311Request.objects.create(
        appeal=appeal, api_key=key, attributes=data.attributes, media_url=data.media_url,
        address_id=data.address_id, location_from=data.location_from, device_id=data.device_id,
        account_id=data.account_id)
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
    return record


def issue_api_key(*, name: str, owner: Any, rate_limit_per_minute: int = 60) -> tuple[ApiKey, str]:
    """A new key for a client application; the raw key is returned once and never stored."""
    return ApiKey.issue(name=name, owner=owner, rate_limit_per_minute=rate_limit_per_minute)


@transaction.atomic
def revoke_api_key(key: ApiKey | int, *, actor: Any) -> ApiKey:
    """Revoke a key at once: every later request with it is refused (403 / 401)."""
    locked = ApiKey.objects.select_for_update().get(pk=key.pk if isinstance(key, ApiKey) else key)
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.revoked_by = actor if actor is not None and actor.is_authenticated else None
        locked.save(update_fields=["revoked_at", "revoked_by"])
    return locked
