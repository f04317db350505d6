"""An appeal changed (in the worker, from the outbox, once per change): tell its subscribers."""
from __future__ import annotations

from typing import Any


def appeal_change_delivered(sender: Any, appeal_id: int, **kwargs: Any) -> None:
    from .announcements import notify_appeal_subscribers

    notify_appeal_subscribers(appeal_id)
