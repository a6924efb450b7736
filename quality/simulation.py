"""A crowd run end to end through the real services: assignment, submission, inference and item decisions,
worker weights and the anti-cheating rules. Either simulated workers (given accuracies, careless workers,
spammers) on a labelled item set, or a real crowd dataset replayed: each real worker answers the items the
assignment service hands them as they answered them in the data.

The beat job and the debounced evaluation are stood in for by calls every EVALUATE_EVERY submissions and
every WEIGHTS_EVERY submissions, so a run takes minutes, not hours.
"""

import csv
import random
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path


from accounts import services as accounts_services
from accounts.models import Role, User, WorkerProfile
from annotations.models import Annotation
from annotations.services import annotation_submit
from annotations.signals import annotation_submitted
from tasks import assignment as assignment_service
from tasks import services as task_services
from tasks.importing import items_import
from tasks.models import Item, ItemState, Project

from .models import ItemDecision
from .receivers import annotation_submitted as quality_receiver
from .services import decisions, integrity, scores

EVALUATE_EVERY = 50
WEIGHTS_EVERY = 300
# Seconds a worker of each kind takes per item. The run does not wait: it moves the assignment's start back
# by the thinking time, so the server measures it as if it had passed (the too-fast rule sees it).
THINK_SECONDS = {"good": (4, 12), "careless": (2, 6), "spammer": (0.3, 1.5), "real": (3, 10)}
MIN_SECONDS = 2.0


@dataclass
class SimWorker:
    kind: str  # good, careless, spammer, or "real"
    accuracy: float
    user: User = None
    answers: dict = field(default_factory=dict)  # replay: item external id -> the worker's real answer


@dataclass
class Config:
    items: list  # [(external_id, data, truth)]
    labels: list
    workers: list
    gold_share: float = 0.05
    overlap: int = 3
    max_overlap: int = 6
    accept_confidence: float = 0.97
    adaptive: bool = True
    strategy: str = "weighted"
    method: str | None = None
    suspend: bool = True
    seed: int = 7
    title: str = "Simulation"


def simulated_workers(count, good=0.7, careless=0.2, rng=None) -> list[SimWorker]:
    rng = rng or random.Random(7)
    n_good, n_careless = round(count * good), round(count * careless)
    workers = [SimWorker("good", rng.uniform(0.85, 0.95)) for _ in range(n_good)]
    workers += [SimWorker("careless", 0.6) for _ in range(n_careless)]
    workers += [SimWorker("spammer", 0.0) for _ in range(count - n_good - n_careless)]
    return workers


def pricerunner_items(path: Path, count: int, rng) -> tuple[list, list]:
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)
        rows, seen = [], set()
        for product_id, title, *_rest, category in reader:
            if title.lower() not in seen:
                seen.add(title.lower())
                rows.append((product_id, {"title": title}, category.strip()))
    sample = rng.sample(rows, count)
    return sample, sorted({row[2] for row in rows})


def replay_dataset(folder: Path, max_tasks: int | None = None) -> tuple[list, list, list]:
    """Items, labels and workers of a real crowd dataset (answers.csv, truth.csv). max_tasks keeps the first
    tasks in answers.csv's order with all their answers, so a big crowd can be replayed in minutes."""
    truth = {row["task"]: row["label"] for row in csv.DictReader(open(folder / "truth.csv", newline=""))}
    workers: dict[str, SimWorker] = {}
    labels = set(truth.values())
    kept: dict[str, None] = {}  # the tasks replayed, in order of first answer
    for row in csv.DictReader(open(folder / "answers.csv", newline="")):
        labels.add(row["label"])  # every label the crowd used stays a choice, also in a cut replay
        if row["task"] not in kept and max_tasks is not None and len(kept) >= max_tasks:
            continue
        kept[row["task"]] = None
        worker = workers.setdefault(row["worker"], SimWorker("real", 0.0))
        worker.answers[row["task"]] = row["label"]  # a repeated answer: the last one counts
    items = [(task, {"title": f"task {task}"}, truth.get(task)) for task in sorted(kept)]
    return items, sorted(labels), list(workers.values())


def replay_task_count(folder: Path) -> int:
    """How many tasks a crowd dataset's answers cover (to say when a replay was cut)."""
    with open(folder / "answers.csv", newline="") as f:
        return len({row["task"] for row in csv.DictReader(f)})


def make_baseline(config: Config) -> Config:
    """What the crowd platforms do by default: random assignment, majority vote, a fixed overlap of 3 and no
    early stop or threshold, no suspensions."""
    config.strategy, config.method, config.adaptive, config.suspend = "random", "majority_vote", False, False
    config.overlap = config.max_overlap = 3
    config.accept_confidence = 0.0
    return config


def run(config: Config, log=print) -> dict:
    rng = random.Random(config.seed)
    project = _project(config, rng)
    truth = {ext: label for ext, _data, label in config.items}
    for n, worker in enumerate(config.workers):
        worker.user = _account(f"sim{config.seed}-{n}")
    annotation_submitted.disconnect(quality_receiver, dispatch_uid="quality_annotation_submitted")
    try:
        submitted = _work(project, config, rng, truth, log)
    finally:
        annotation_submitted.connect(quality_receiver, dispatch_uid="quality_annotation_submitted")
    return _report(project, config, truth, submitted)


def _project(config, rng) -> Project:
    project = task_services.project_create(
        title=config.title, task_type="single_label", item_fields=["title"],
        label_schema={"labels": config.labels}, overlap=config.overlap, max_overlap=config.max_overlap,
        gold_share=config.gold_share, accept_confidence=config.accept_confidence,
        adaptive_overlap=config.adaptive, early_stop_confidence=0.99, assignment_strategy=config.strategy,
        item_order="random", verified_only=False, min_seconds=MIN_SECONDS,
    )
    gold = set(rng.sample(range(len(config.items)), round(len(config.items) * config.gold_share)))
    rows = [{"external_id": ext, **data, **({"gold": label} if i in gold and label else {})}
            for i, (ext, data, label) in enumerate(config.items)]
    items_import(project=project, source=rows)
    return task_services.project_publish(project=project)


def _account(name) -> User:
    user = User.objects.filter(username=name).first() or accounts_services.user_create(
        email=f"{name}@simulation.crowdlabel", password=None, role=Role.ANNOTATOR, username=name)
    accounts_services.worker_mark_verified(user=user)
    return user


def _answer(worker, item_ext, truth, labels, rng):
    if worker.kind == "real":
        return worker.answers.get(item_ext)
    if rng.random() < worker.accuracy:
        return truth[item_ext]
    return rng.choice([label for label in labels if label != truth[item_ext]] or labels)


def _work(project, config, rng, truth, log) -> int:
    submitted, idle_rounds = 0, 0
    while idle_rounds < 3:
        served = 0
        order = config.workers[:]
        rng.shuffle(order)
        for worker in order:
            served += _one_step(project, worker, config, rng, truth)
        submitted += served
        if submitted // EVALUATE_EVERY != (submitted - served) // EVALUATE_EVERY or not served:
            decisions.project_evaluate(project=project, method=config.method)
        if config.suspend and submitted // WEIGHTS_EVERY != (submitted - served) // WEIGHTS_EVERY:
            scores.worker_weights_recompute()
            integrity.integrity_check()
            log(f"  {submitted} answers, {Item.objects.filter(project=project, state=ItemState.ACCEPTED).count()} accepted")
        idle_rounds = idle_rounds + 1 if not served else 0
    decisions.project_evaluate(project=project, method=config.method)
    return submitted


def _one_step(project, worker, config, rng, truth) -> int:
    try:
        result = assignment_service.assignment_next(worker=worker.user, project=project, rng=rng)
    except assignment_service.NotEligible:
        return 0
    assignment = result.assignment
    if assignment is None:
        return 0
    external_id = assignment.item.external_id
    answer = _answer(worker, external_id, truth, config.labels, rng)
    if answer is None:  # replay: this worker never answered this item in the data
        assignment_service.assignment_skip(assignment_id=assignment.pk, worker=worker.user)
        return 0
    think = timedelta(seconds=rng.uniform(*THINK_SECONDS[worker.kind]))
    assignment_service.assignment_backdate(assignment_id=assignment.pk, by=think)
    annotation_submit(worker=worker.user, assignment_id=assignment.pk, answer=answer)
    return 1


def _report(project, config, truth, submitted) -> dict:
    items = Item.objects.filter(project=project, is_gold=False)
    decided = dict(ItemDecision.objects.filter(project=project).values_list("item__external_id", "label"))
    # Scored only where the dataset knows the truth: S_Rel has it for one task in five.
    scored = [ext for ext in decided if truth.get(ext) is not None]
    correct = sum(1 for ext in scored if truth[ext] == decided[ext])
    paid = Annotation.objects.filter(project=project, is_gold=False).count()
    review = items.filter(state=ItemState.NEEDS_REVIEW).count()
    spammers = [w for w in config.workers if w.kind == "spammer"]
    suspended = WorkerProfile.objects.filter(user__in=[w.user for w in spammers], suspended=True).count()
    others_suspended = WorkerProfile.objects.filter(
        user__in=[w.user for w in config.workers if w.kind != "spammer"], suspended=True).count()
    n_items = items.count()
    return {
        "accuracy": round(correct / len(scored), 4) if scored else None, "scored": len(scored),
        "answers_per_item": round(paid / n_items, 3) if n_items else None,
        "review_share": round(review / n_items, 4) if n_items else None,
        "spammers": len(spammers), "spammers_suspended": suspended,
        "decided": len(decided), "review": review, "items": n_items, "gold_items": project.items.filter(is_gold=True).count(), "others_suspended": others_suspended,
        "gold_answers": Annotation.objects.filter(project=project, is_gold=True).count(),
    }
