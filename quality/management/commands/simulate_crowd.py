import json
import random
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from quality import simulation


class Command(BaseCommand):
    help = (
        "Run a crowd through the real services and report the accuracy of the accepted labels, the answers paid "
        "per item, the share sent to review and the spammers suspended. Simulated workers on PriceRunner titles "
        "by default; --replay FOLDER replays a real crowd dataset (answers.csv, truth.csv)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--replay", type=Path, help="A folder of ../shared/datasets/crowd to replay.")
        parser.add_argument("--max-tasks", type=int, help="--replay: only the first N tasks (with all their answers).")
        parser.add_argument("--items", type=int, default=2000)
        parser.add_argument("--workers", type=int, default=50)
        parser.add_argument("--good", type=float, default=0.7, help="Share of good workers (85-95%% accurate).")
        parser.add_argument("--careless", type=float, default=0.2, help="Share of careless workers (60%%).")
        parser.add_argument("--baseline", action="store_true",
                            help="Random assignment, majority vote, a fixed overlap of 3, no suspensions.")
        parser.add_argument("--overlap", type=int, default=3)
        parser.add_argument("--max-overlap", type=int, default=6)
        parser.add_argument("--accept-confidence", type=float, default=0.97)
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, **o):
        rng = random.Random(o["seed"])
        if o["replay"]:
            if not (o["replay"] / "answers.csv").exists():
                raise CommandError(f"{o['replay']} has no answers.csv")
            items, labels, workers = simulation.replay_dataset(o["replay"], max_tasks=o["max_tasks"])
        else:
            path = Path(settings.DEMO_DATASETS_DIR) / "ecommerce/pricerunner_product_titles/pricerunner_aggregate.csv"
            items, labels = simulation.pricerunner_items(path, o["items"], rng)
            workers = simulation.simulated_workers(o["workers"], o["good"], o["careless"], rng)
        config = simulation.Config(
            items=items, labels=labels, workers=workers, seed=o["seed"], overlap=o["overlap"],
            max_overlap=o["max_overlap"], accept_confidence=o["accept_confidence"],
            title=f"Simulation {o['seed']}{' (baseline)' if o['baseline'] else ''}",
        )
        if o["baseline"]:
            simulation.make_baseline(config)
        report = simulation.run(config, log=self.stdout.write)
        self.stdout.write(
            f"accepted-label accuracy {report['accuracy']}, {report['answers_per_item']} answers paid per item, "
            f"{report['review_share']:.1%} sent to review, {report['spammers_suspended']} of {report['spammers']} "
            f"spammers suspended ({report['others_suspended']} other workers suspended), {report['decided']} of "
            f"{report['items']} items decided, {report['gold_answers']} gold checks"
        )
        keys = ["accuracy", "answers_per_item", "review_share", "spammers", "spammers_suspended"]
        self.stdout.write(json.dumps({key: report[key] for key in keys}))
