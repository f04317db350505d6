"""A follower's notice of a new comment names the appeal by its registration number, the one
its page and the citizen's letters show, not by the database id."""
from __future__ import annotations

import pytest

from inbox.models import Notification
from infocenter import discussion
from infocenter.announcements import notify_followers
from tests.issues.helpers import make_appeal

pytestmark = pytest.mark.django_db


def test_comment_notice_names_the_appeal_by_its_number(personas) -> None:
    appeal = make_appeal(personas.citizen, "roads-potholes", text="Яма на дороге у дома 30.")
    discussion.subscribe(actor=personas.other_citizen, kind="appeal", target_id=appeal.pk)
    comment = discussion.post_comment(actor=personas.executor_a, kind="appeal", target_id=appeal.pk,
                                      text="Бригада выехала.")
    assert notify_followers(comment.pk) == 1
    notice = Notification.objects.get(user=personas.other_citizen, appeal=appeal)
    assert notice.title.endswith(f"к обращению {appeal.number}"), notice.title
