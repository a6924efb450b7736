"""Writes of the quality stage: item decisions from the answers, and reviewers' adjudication."""

from .decisions import project_evaluate, project_evaluation_schedule, undecided_items_reevaluate
from .qualifications import qualifications_award
from .review import (
    ReviewError, review_accept_suggestion, review_pick_label, review_send_back, verification_sample_create,
)

__all__ = [
    "project_evaluate", "project_evaluation_schedule", "qualifications_award", "undecided_items_reevaluate",
    "ReviewError", "review_accept_suggestion",
    "review_pick_label", "review_send_back", "verification_sample_create",
]
