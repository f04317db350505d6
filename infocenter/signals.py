"""Only enqueueing here: an appeal changed → the subscribers' task decides who hears of it."""
from __future__ import annotations

from typing import Any


def appeal_changed(sender: Any, appeal_id: int, **kwargs: Any) -> None:
    from .tasks import notify_appeal_subscribers

    notify_appeal_subscribers.delay(appeal_id)
