"""Every state-changing write on initiative projects goes through a function in this package,
one module a domain: ``proposal``, ``voting``, ``selection``, ``scoring``, ``monitoring``,
``control``, ``pabulib``; ``base`` holds what they share.

Each action is atomic, checks who may act (``projects.access``) and whether the cycle's phase is
open (dates enforced), changes state through ``Project.transition`` (which leaves a
``ProjectEvent``) and refuses bad input with a ``ValidationError`` (→ 400) or a ``Conflict`` with
the current state (→ 409) in the request's language (Russian by default; texts that are stored —
notices, an appeal's text — are Russian whoever acts). Views, the API, management commands and
demo generators all call these. Reads live in ``projects.queries``, permission questions in
``projects.access``; both are re-exported here so existing callers keep ``actions.X``."""
from __future__ import annotations

from django.core.exceptions import ValidationError

from ..access import WITHDRAWABLE, may_withdraw, withdraw_refusal
from ..queries import compute_selection, criterion_value, score_breakdown, spent, tally
from ..selection import money
from .base import Conflict, PhaseClosed
from .control import (
    APPEAL_TEXT_LIMIT,
    CONTROL_ANSWERED,
    CONTROL_APPEAL_TEXT,
    CONTROL_FILED,
    CONTROL_FILED_BODY,
    CONTROL_FILED_NO_AGENCY,
    answer_control_report,
    file_control_report,
    submit_control_report,
)
from .monitoring import (
    add_milestone,
    add_project_photo,
    complete_project,
    record_expense,
    roll_up_progress,
    start_implementation,
    update_milestone,
)
from .pabulib import import_election
from .proposal import (
    MIN_MEMBER_AGE,
    MINUTES_MAX_BYTES,
    PROPOSAL_MAX_PHOTOS,
    WITHDRAW_REASON_MAX,
    review_project,
    submit_project,
    support_project,
    withdraw_project,
)
from .scoring import (
    IN_CONTEST,
    recompute_score,
    refresh_cycle_need_scores,
    refresh_need_score,
    refresh_open_need_scores,
    score_project,
)
from .selection import run_selection
from .voting import cast_ballot, enter_paper_ballot, validate_ballot

__all__ = [
    "APPEAL_TEXT_LIMIT", "CONTROL_ANSWERED", "CONTROL_APPEAL_TEXT", "CONTROL_FILED", "CONTROL_FILED_BODY",
    "CONTROL_FILED_NO_AGENCY", "IN_CONTEST", "MINUTES_MAX_BYTES", "MIN_MEMBER_AGE", "PROPOSAL_MAX_PHOTOS",
    "WITHDRAWABLE", "WITHDRAW_REASON_MAX", "Conflict", "PhaseClosed", "ValidationError", "add_milestone",
    "add_project_photo", "answer_control_report", "cast_ballot", "complete_project", "compute_selection",
    "criterion_value", "enter_paper_ballot", "file_control_report", "import_election", "may_withdraw", "money",
    "recompute_score", "record_expense", "refresh_cycle_need_scores", "refresh_need_score",
    "refresh_open_need_scores", "review_project", "roll_up_progress", "run_selection", "score_breakdown",
    "score_project", "spent", "start_implementation", "submit_control_report", "submit_project", "support_project",
    "tally", "update_milestone", "validate_ballot", "withdraw_project", "withdraw_refusal",
]
