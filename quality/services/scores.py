"""Worker scores and weights: Q = αP + (1-α)C over a trailing window, W from Q, computed in the database.

P, a worker's accuracy on checks (gold items, and items a reviewer decided), and C, their agreement with the
other workers on the same items (their own answer left out), are counted with two SQL aggregates per
(worker, project) over the trailing window. Both get a Beta prior so that a worker with few checks is pulled
towards an ordinary worker: P = (correct + s·p0) / (checks + s), likewise C; with s = 4 and p0 = 0.7 one lucky
gold answer gives P = 0.76, not 1.0. Q = αP + (1-α)C with each project's α, averaged over the worker's
projects by their number of answers. W = Q² (squared: the same order, a wider gap between good and mediocre
workers, so T_i = W_i / ΣW_j favours the good ones). A suspended worker's W is 0.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts import services as accounts_services
from tasks.models import Project

from ..models import WorkerScore

PRIOR_STRENGTH = 4.0
PRIOR_P = 0.7
PRIOR_C = 0.7

CHECKS_SQL = """
SELECT a.worker_id, a.project_id,
       SUM(CASE WHEN i.is_gold OR d.source = 'reviewer' THEN 1 ELSE 0 END),
       SUM(CASE WHEN i.is_gold AND a.answer = i.gold THEN 1
                WHEN NOT i.is_gold AND d.source = 'reviewer' AND a.answer = d.label THEN 1 ELSE 0 END),
       COUNT(*)
FROM annotations_annotation a
JOIN tasks_item i ON i.id = a.item_id
LEFT JOIN quality_itemdecision d ON d.item_id = a.item_id
WHERE a.created_at >= %s AND NOT a.superseded
GROUP BY a.worker_id, a.project_id
"""

# For each answer: how many other answers the item has, and how many of them say the same.
AGREEMENT_SQL = """
WITH recent AS (
    SELECT worker_id, project_id, item_id, answer FROM annotations_annotation
    WHERE created_at >= %s AND NOT superseded AND NOT is_gold
), same AS (
    SELECT item_id, answer, COUNT(*) AS n FROM recent GROUP BY item_id, answer
), total AS (
    SELECT item_id, COUNT(*) AS n FROM recent GROUP BY item_id
)
SELECT r.worker_id, r.project_id, SUM(t.n - 1), SUM(s.n - 1)
FROM recent r
JOIN same s ON s.item_id = r.item_id AND s.answer = r.answer
JOIN total t ON t.item_id = r.item_id
GROUP BY r.worker_id, r.project_id
"""


@dataclass
class Tally:
    checks: int = 0
    correct: int = 0
    pairs: int = 0
    agreeing: int = 0
    answers: int = 0

    @property
    def p(self) -> float:
        return (self.correct + PRIOR_STRENGTH * PRIOR_P) / (self.checks + PRIOR_STRENGTH)

    @property
    def c(self) -> float:
        return (self.agreeing + PRIOR_STRENGTH * PRIOR_C) / (self.pairs + PRIOR_STRENGTH)


def weight_from_quality(q: float) -> float:
    return round(max(0.0, min(1.0, q)) ** 2, 6)


def _tallies(since) -> dict[tuple[int, int], Tally]:
    tallies: dict[tuple[int, int], Tally] = {}
    with connection.cursor() as cursor:
        cursor.execute(CHECKS_SQL, [since])
        for worker, project, checks, correct, answers in cursor.fetchall():
            tallies[(worker, project)] = Tally(checks=int(checks or 0), correct=int(correct or 0), answers=int(answers))
        cursor.execute(AGREEMENT_SQL, [since])
        for worker, project, pairs, agreeing in cursor.fetchall():
            tally = tallies.setdefault((worker, project), Tally())
            tally.pairs, tally.agreeing = int(pairs or 0), int(agreeing or 0)
    return tallies


def _per_worker(tallies, alphas) -> dict[int, dict]:
    """Pool each worker's projects: counts add up; Q is the answer-weighted mean of per-project Q."""
    workers: dict[int, dict] = {}
    for (worker, project), tally in tallies.items():
        entry = workers.setdefault(worker, {"pooled": Tally(), "q_sum": 0.0, "q_weight": 0})
        pooled = entry["pooled"]
        pooled.checks += tally.checks
        pooled.correct += tally.correct
        pooled.pairs += tally.pairs
        pooled.agreeing += tally.agreeing
        pooled.answers += tally.answers
        alpha = alphas.get(project, 0.6)
        entry["q_sum"] += (alpha * tally.p + (1 - alpha) * tally.c) * max(tally.answers, 1)
        entry["q_weight"] += max(tally.answers, 1)
    for entry in workers.values():
        entry["q"] = entry["q_sum"] / entry["q_weight"]
    return workers


@transaction.atomic
def worker_weights_recompute(*, window_days: int | None = None, now=None) -> dict:
    """The beat job: scores of every worker active in the window, one snapshot per worker per day, and the
    new W_i on their profile. Running it twice the same day changes nothing the second time."""
    now = now or timezone.now()
    window_days = window_days or settings.QUALITY_WINDOW_DAYS
    tallies = _tallies(now - timedelta(days=window_days))
    alphas = dict(Project.objects.values_list("pk", "alpha"))
    workers = _per_worker(tallies, alphas)
    qualities = {worker_id: round(entry["q"], 6) for worker_id, entry in workers.items()}
    stored, changed = accounts_services.worker_weights_set(
        scores={worker_id: (weight_from_quality(q), q) for worker_id, q in qualities.items()}
    )
    snapshots = []
    for worker_id, w in stored.items():
        pooled = workers[worker_id]["pooled"]
        snapshots.append(WorkerScore(
            worker_id=worker_id, as_of=now.date(), window_days=window_days, gold_checks=pooled.checks,
            gold_correct=pooled.correct, agreement_pairs=pooled.pairs, agreeing_pairs=pooled.agreeing,
            precision_p=round(pooled.p, 6), agreement_c=round(pooled.c, 6), quality_q=qualities[worker_id],
            weight_w=w, answers=pooled.answers,
        ))
    WorkerScore.objects.bulk_create(
        snapshots, batch_size=1000, update_conflicts=True, unique_fields=["worker", "as_of"],
        update_fields=["window_days", "gold_checks", "gold_correct", "agreement_pairs", "agreeing_pairs",
                       "precision_p", "agreement_c", "quality_q", "weight_w", "answers"],
    )
    return {"workers": len(snapshots), "weights_changed": changed}


def worker_tallies(*, since) -> dict[tuple[int, int], Tally]:
    """The raw counts per (worker, project), for the anti-cheating rules."""
    return _tallies(since)
