"""Feedback events accepted per second through the API (POST /api/projects/{id}/feedback/, batches of 500),
with the p99 of a batch's response time, then the same batches replayed: nothing may be lost or stored twice.
Requests go through Django's whole stack in this process (middleware, token authentication, throttles, the
JSON parser, validation, the insert), without a socket. The goal is at least 5,000 events/s.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crowdlabel_bench .venv/bin/python bench/feedback.py
    ... bench/feedback.py --small          # CI: 10 batches
    ... bench/feedback.py --events 200000

Last line: {"events_per_s": E, "p99_ms": P, "lost": 0, "duplicated": 0}
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.assignment_load import ensure_database  # its import sets the benchmarks' environment

os.environ["DEBUG"] = "0"  # DEBUG keeps every query in memory
# The bench measures the API, not its rate limits: one token posts as fast as it can.
os.environ["API_RATE_FEEDBACK"] = os.environ["API_RATE_PER_ADDRESS"] = "100000000/min"
BATCH = 500


def setup():
    import django

    ensure_database()
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from accounts import services as accounts
    from accounts.models import Role, User
    from tasks.services import project_create

    organisation = accounts.organisation_default()
    project = project_create(title="bench feedback", task_type="single_label", organisation=organisation,
                             label_schema={"labels": [{"name": name} for name in ("Phone", "TV", "CPU")]},
                             item_fields=["title"])
    user, _ = User.objects.get_or_create(username="bench-feedback", defaults={"role": Role.INTEGRATOR})
    accounts.membership_add(user=user, organisation=organisation, role="integrator")
    return project, accounts.api_token_create(user=user, name="bench feedback")[1]


def post_all(client, url, batches, token) -> list[float]:
    """Seconds per batch; any answer but 201 stops the bench."""
    took = []
    for batch in batches:
        body = json.dumps({"events": batch})
        started = time.perf_counter()
        response = client.post(url, body, content_type="application/json", HTTP_AUTHORIZATION=f"Token {token}")
        took.append(time.perf_counter() - started)
        if response.status_code != 201:
            raise SystemExit(f"batch refused: {response.status_code} {response.content[:500]!r}")
    return took


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--small", action="store_true", help="5,000 events (CI)")
    args = parser.parse_args()
    total = 5000 if args.small else args.events
    project, token = setup()
    from django.test import Client
    from django.urls import reverse

    from tests.training.feedback_events import feedback_event
    from training.models import FeedbackEvent

    events = [feedback_event(n) for n in range(total)]
    batches = [events[start:start + BATCH] for start in range(0, total, BATCH)]
    client, url = Client(HTTP_HOST="127.0.0.1"), reverse("api-project-feedback", args=[project.pk])
    try:
        post_all(client, url, batches[:1], token)  # warm-up: imports, prepared plans; replayed below like the rest
        took = post_all(client, url, batches, token)
        post_all(client, url, batches, token)  # the replay: every event already stored
        stored = FeedbackEvent.objects.filter(project=project)
        rows, distinct = stored.count(), stored.values("event_id").distinct().count()
    finally:
        project.delete()
    took.sort()
    p99 = took[min(len(took) - 1, int(round(0.99 * (len(took) - 1))))]
    print(f"{total} events in {len(batches)} batches of {BATCH}: {sum(took):.2f} s; replayed once", flush=True)
    print(json.dumps({"events_per_s": round(total / sum(took)), "p99_ms": round(1000 * p99, 1),
                      "lost": total - distinct, "duplicated": rows - distinct}))


if __name__ == "__main__":
    main()
