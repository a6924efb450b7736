"""Feedback events as an integrator's service sends them (tests and bench/feedback.py share this)."""

import random
from datetime import UTC, datetime, timedelta

OUTCOMES = ["clicked", "bought", "ignored", "reported_wrong", "corrected"]


def feedback_event(number: int, *, labels=("Phone", "TV", "CPU"), outcome: str | None = None, **fields) -> dict:
    """Event `number` (its id is f"evt-{number}"): a prediction on a text an hour ago, and what happened to it
    (a recent time: the API refuses one more than a year old)."""
    chance = random.Random(number)
    outcome = outcome or chance.choice(OUTCOMES)
    event = {"event_id": f"evt-{number}", "text": f"product title {number} call +44 20 7946 0{number % 1000:03d}",
             "predicted_label": chance.choice(labels), "confidence": round(chance.random(), 3), "outcome": outcome,
             "occurred_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(timespec="seconds")}
    if outcome == "corrected":
        event.update(corrected_label=chance.choice(labels), actor="merchant")
    event.update(fields)
    return event
