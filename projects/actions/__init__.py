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
    do_answer_control_report,
    do_file_control_report,
    do_submit_control_report,
)
from .monitoring import (
    do_add_milestone,
    do_add_project_photo,
    do_complete_project,
    do_record_expense,
    do_roll_up_progress,
    do_start_implementation,
    do_update_milestone,
)
from .pabulib import do_import_election
from .proposal import (
    MIN_MEMBER_AGE,
    MINUTES_MAX_BYTES,
    PROPOSAL_MAX_PHOTOS,
    WITHDRAW_REASON_MAX,
    do_review_project,
    do_submit_project,
    do_support_project,
    do_withdraw_project,
)
from .scoring import (
    IN_CONTEST,
    do_recompute_score,
    do_refresh_cycle_need_scores,
    do_refresh_need_score,
    do_refresh_open_need_scores,
    do_score_project,
    validate_scores,
)
from .selection import do_run_selection
from .voting import do_cast_ballot, do_enter_paper_ballot, validate_ballot

__all__ = [
    "APPEAL_TEXT_LIMIT", "CONTROL_ANSWERED", "CONTROL_APPEAL_TEXT", "CONTROL_FILED", "CONTROL_FILED_BODY",
    "CONTROL_FILED_NO_AGENCY", "Conflict", "IN_CONTEST", "MINUTES_MAX_BYTES", "MIN_MEMBER_AGE",
    "PROPOSAL_MAX_PHOTOS", "PhaseClosed", "ValidationError", "WITHDRAWABLE", "WITHDRAW_REASON_MAX",
    "compute_selection", "criterion_value", "do_add_milestone", "do_add_project_photo", "do_answer_control_report",
    "do_cast_ballot", "do_complete_project", "do_enter_paper_ballot", "do_file_control_report",
    "do_import_election", "do_recompute_score", "do_record_expense", "do_refresh_cycle_need_scores",
    "do_refresh_need_score", "do_refresh_open_need_scores", "do_review_project", "do_roll_up_progress",
    "do_run_selection", "do_score_project", "do_start_implementation", "do_submit_control_report",
    "do_submit_project", "do_support_project", "do_update_milestone", "do_withdraw_project", "may_withdraw",
    "money", "score_breakdown", "spent", "tally", "validate_ballot", "validate_scores", "withdraw_refusal",
]
