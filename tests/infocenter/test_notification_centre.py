"""The notification centre (/notifications/): only the owner sees and changes their notices,
subscriptions and digest switch; the navigation badge counts unread notices; a district
followed on the page brings news through the real Celery worker; the digest honours the switch."""
from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from geoportal.models import District
from inbox.models import Notification, NotificationKind
from inbox.tasks import send_digests
from infocenter.models import Subscription
from issues.models import Category
from tests.infocenter.test_discussion import wait_for
from tests.issues.helpers import make_appeal


def notice(user, title: str, **extra) -> Notification:
    return Notification.objects.create(user=user, kind=extra.pop("kind", NotificationKind.SUBSCRIPTION),
                                       title=title, **extra)


@pytest.mark.django_db
def test_only_the_owner_sees_and_opens_their_notices(personas):
    mine = notice(personas.citizen, "Моя новость по подписке")
    theirs = notice(personas.other_citizen, "Чужая новость соседа")
    response = Client().get("/notifications/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert Client().get(f"/notifications/{mine.pk}/").status_code == 302
    citizen = personas.client("citizen")
    html = citizen.get("/notifications/").content.decode()
    assert "Моя новость по подписке" in html and "Чужая новость" not in html
    assert response_no_store(citizen.get("/notifications/"))
    assert citizen.get(f"/notifications/{theirs.pk}/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None  # someone else's notice stays unread
    opened = citizen.get(f"/notifications/{mine.pk}/")
    assert opened.status_code == 302
    mine.refresh_from_db()
    assert mine.read_at is not None


def response_no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "") or "max-age=0" in response.get("Cache-Control", "")


@pytest.mark.django_db
def test_badge_counts_unread_and_mark_all_read_touches_only_mine(personas):
    appeal = make_appeal(personas.citizen, "roads-potholes", text="Яма во дворе дома 12.")
    Notification.objects.filter(user__in=[personas.citizen, personas.other_citizen]).delete()
    for n in range(3):
        notice(personas.citizen, f"Новость {n}", appeal=appeal)
    notice(personas.other_citizen, "Соседу")
    citizen = personas.client("citizen")
    page = citizen.get("/map/").content.decode()
    assert 'id="nav-notifications"' in page and '<span class="nav-badge" aria-label="3 новых">3</span>' in page
    html = citizen.get("/notifications/").content.decode()
    assert html.count('class="notice-item unread"') == 3
    assert citizen.post("/notifications/", {"action": "read_all"}).status_code == 302
    assert not Notification.objects.filter(user=personas.citizen, read_at__isnull=True).exists()
    assert Notification.objects.filter(user=personas.other_citizen, read_at__isnull=True).count() == 1
    assert 'class="nav-badge"' not in citizen.get("/map/").content.decode()
    assert "nav-notifications" not in Client().get("/map/").content.decode()


@pytest.mark.django_db
def test_follow_and_unfollow_only_own_and_bad_values_are_400(personas):
    district = District.objects.order_by("name").first()
    category = Category.objects.filter(parent__isnull=True).first()
    citizen = personas.client("citizen")
    assert citizen.post("/notifications/", {"action": "follow", "kind": "district",
                                            "target_id": district.pk}).status_code == 302
    assert citizen.post("/notifications/", {"action": "follow", "kind": "category",
                                            "target_id": category.pk}).status_code == 302
    html = citizen.get("/notifications/").content.decode()
    assert district.name in html and category.name in html
    assert citizen.post("/notifications/", {"action": "follow", "kind": "district",
                                            "target_id": 999999}).status_code == 400
    assert citizen.post("/notifications/", {"action": "follow", "kind": "appeal", "target_id": 1}).status_code == 400
    assert citizen.post("/notifications/", {"action": "nonsense"}).status_code == 400
    theirs = Subscription.objects.create(user=personas.other_citizen, kind="district", target_id=district.pk)
    assert citizen.post("/notifications/", {"action": "unfollow", "subscription": theirs.pk}).status_code == 400
    assert Subscription.objects.filter(pk=theirs.pk).exists()
    mine = Subscription.objects.get(user=personas.citizen, kind="district")
    assert citizen.post("/notifications/", {"action": "unfollow", "subscription": mine.pk}).status_code == 302
    assert not Subscription.objects.filter(pk=mine.pk).exists()
    assert Client().post("/notifications/", {"action": "read_all"}).status_code == 302  # to the login page
    # the API refuses a subscription to something that does not exist
    assert citizen.post("/api/v1/subscriptions/", {"kind": "district", "target_id": 999999}).status_code == 400


@pytest.mark.django_db(transaction=True)
def test_district_followed_on_the_page_brings_news_through_the_worker(personas, celery_worker_process):
    district = District.objects.get(code="centralny")
    follower = personas.client("other_citizen")
    follower.post("/notifications/", {"action": "follow", "kind": "district", "target_id": district.pk})
    appeal = make_appeal(personas.citizen, "roads-potholes", district="centralny", text="Яма на площади у фонтана.")
    delivered = wait_for(lambda: Notification.objects.filter(user=personas.other_citizen, appeal=appeal,
                                                             kind="subscription").first())
    html = follower.get("/notifications/").content.decode()
    assert delivered.title in html and 'class="notice-item unread"' in html
    opened = follower.get(f"/notifications/{delivered.pk}/")
    assert opened.status_code == 302 and opened["Location"] == f"/appeals/{appeal.pk}/"
    # the digest switch: off — no letter; on — one letter
    personas.other_citizen.email = "neighbour@example.org"
    personas.other_citizen.save()
    assert follower.post("/notifications/", {"action": "digest"}).status_code == 302  # unchecked box: off
    mail.outbox.clear()
    assert send_digests() == 0 and mail.outbox == []
    assert follower.post("/notifications/", {"action": "digest", "digest": "on"}).status_code == 302
    assert send_digests() == 1 and "подпискам" in mail.outbox[0].subject
    assert personas.citizen.email not in mail.outbox[0].to
