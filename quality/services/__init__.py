"""Writes of the quality stage: item decisions from the answers (the crowd's, and the shop's corrections),
and reviewers' adjudication."""

from .corrections import correction_answers_record
from .decisions import project_evaluate, project_evaluation_schedule, undecided_items_reevaluate
from .qualifications import qualifications_award
from .review import (
    ReviewError, review_accept_suggestion, review_pick_label, review_send_back, verification_sample_create,
)

__all__ = [
    "correction_answers_record", "project_evaluate", "project_evaluation_schedule", "qualifications_award",
    "undecided_items_reevaluate",
    "ReviewError", "review_accept_suggestion",
    "review_pick_label", "review_send_back", "verification_sample_create",
]
