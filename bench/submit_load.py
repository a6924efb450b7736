"""Submissions under load: 32 concurrent annotators over HTTP, each submitting and receiving its next item in
one request (what the labelling page does), against gunicorn on PostgreSQL. Prints submissions/s, p99 latency,
and the count of annotations acknowledged (HTTP 201) against the count stored in the database: they must match.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crowdlabel_bench .venv/bin/python bench/submit_load.py

Last line: {"submit_per_s": X, "p99_ms": B, "acknowledged": N, "stored": N}
"""

import asyncio
import json
import os
import random
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.assignment_load import Connection, drive, load_arguments, percentile, setup, start_server


async def annotator(token, project_id, labels, deadline, latencies, counts):
    """Claim once, then submit-and-get-next until the time is up."""
    conn = Connection(token)
    rng = random.Random(token)
    status, body = await conn.request("POST", f"/api/projects/{project_id}/next/")
    assignment = json.loads(body)["assignment"] if status == 200 else None
    while assignment and time.perf_counter() < deadline:
        start = time.perf_counter()
        status, body = await conn.request("POST", f"/api/assignments/{assignment['id']}/submit/",
                                          {"answer": rng.choice(labels)})
        latencies.append(time.perf_counter() - start)
        if status in (200, 201):
            counts["acknowledged"] += status == 201
            assignment = json.loads(body)["next"]
        else:
            counts["errors"] += 1
            status, body = await conn.request("POST", f"/api/projects/{project_id}/next/")
            assignment = json.loads(body)["assignment"] if status == 200 else None


def main():
    args = load_arguments()
    project, tokens, _integrator, _ids = setup(args.items, args.annotators)
    labels = project.label_names
    server = start_server(args.workers, args.threads)
    try:
        latencies, counts, wall = asyncio.run(drive(
            lambda i, d, l, c: annotator(tokens[i], project.pk, labels, d, l, c), args.annotators, args.seconds))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    from annotations.models import Annotation

    stored = Annotation.objects.filter(project=project).count()
    figures = {"submit_per_s": round(counts["acknowledged"] / wall, 1), "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
               "acknowledged": counts["acknowledged"], "stored": stored}
    print(f"submit load: {args.annotators} annotators, {args.seconds:.0f} s, gunicorn {args.workers} workers x {args.threads} threads, PostgreSQL")
    print(f"  submissions/s {figures['submit_per_s']}, p50 {percentile(latencies, 0.5) * 1000:.1f} ms, "
          f"p99 {figures['p99_ms']} ms, errors {counts['errors']}")
    print(f"  acknowledged {counts['acknowledged']}, stored {stored}: {'equal' if stored == counts['acknowledged'] else 'MISMATCH'}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
