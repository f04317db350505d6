"""The daily digest of subscription news: one letter per user, its subject correct Russian
whatever the number of news (a number before «новостей» is wrong for 1–4, 21–24, …)."""
from __future__ import annotations

import pytest
from django.core import mail

from inbox.delivery import post_in_app
from inbox.tasks import send_digests

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("count", [1, 3])
def test_digest_subject_reads_right_for_any_number_of_news(personas, count: int) -> None:
    follower = personas.other_citizen
    follower.email = "neighbour@example.org"
    follower.save(update_fields=["email"])
    for n in range(count):
        post_in_app([follower.pk], f"Новость {n}")
    mail.outbox.clear()
    assert send_digests() == 1
    assert mail.outbox[0].subject == f"Геопортал: новости по вашим подпискам ({count})"
    assert mail.outbox[0].body.count("— Новость") == count


def test_digest_goes_to_the_profiles_address_when_the_account_has_none(personas) -> None:
    """The same rule as every other notice (inbox.delivery.email_address): a citizen who gave an
    address only with an appeal gets the digest there."""
    follower = personas.other_citizen
    follower.email = ""
    follower.save(update_fields=["email"])
    follower.profile.email = "from-appeal@example.org"
    follower.profile.save(update_fields=["email"])
    post_in_app([follower.pk], "Новость")
    mail.outbox.clear()
    assert send_digests() == 1
    assert mail.outbox[0].to == ["from-appeal@example.org"]
