import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from quality import simulation

pytestmark = pytest.mark.django_db


PRICERUNNER = Path(settings.DEMO_DATASETS_DIR) / "ecommerce/pricerunner_product_titles/pricerunner_aggregate.csv"


@pytest.mark.skipif(not PRICERUNNER.exists(), reason=f"the simulated crowd labels real titles: no {PRICERUNNER}")
def test_simulated_crowd_through_the_real_services(capsys):
    call_command("simulate_crowd", "--items", "60", "--workers", "10", "--seed", "3")
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(report) == {"accuracy", "answers_per_item", "review_share", "spammers", "spammers_suspended"}
    assert report["spammers"] == 1
    assert report["accuracy"] >= 0.9
    assert 1 <= report["answers_per_item"] <= 6


def test_replay_answers_as_the_real_workers_did(tmp_path):
    (tmp_path / "answers.csv").write_text(
        "task,worker,label\n" + "".join(f"t{t},w{w},{'yes' if (t + (w == 2)) % 2 else 'no'}\n" for t in range(20) for w in range(3))
    )
    (tmp_path / "truth.csv").write_text("task,label\n" + "".join(f"t{t},{'yes' if t % 2 else 'no'}\n" for t in range(20)))
    items, labels, workers = simulation.replay_dataset(tmp_path)
    config = simulation.Config(items=items, labels=labels, workers=workers, overlap=3, max_overlap=3,
                               gold_share=0.0, accept_confidence=0.0, adaptive=False, strategy="random", suspend=False)
    report = simulation.run(config, log=lambda line: None)
    # Every item got the data's three answers; workers w0 and w1 are always right, so the majority is.
    assert report["answers_per_item"] == 3.0 and report["decided"] == 20 and report["accuracy"] == 1.0
