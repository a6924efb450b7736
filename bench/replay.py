"""Real crowds replayed through the real services, ours against the baseline.

For each crowd folder (answers.csv, truth.csv) under ../shared/datasets/crowd, runs what
`manage.py simulate_crowd --replay FOLDER` runs, twice: our settings (weighted assignment, the project's
inference method, adaptive overlap, accept at the accept threshold) and `--baseline` (random assignment,
majority vote, a fixed overlap of 3, no early stop). Each run gets a fresh, migrated SQLite database in a
temporary folder, so runs do not share workers, weights or suspensions.

    .venv/bin/python bench/replay.py --max-tasks 1000
    .venv/bin/python bench/replay.py --small          # CI size: snow_RTE cut to its first 150 tasks

A replayed worker answers only the items they answered in the data, so an item can run out of workers
before it is decided: it is skipped by everyone left and stays undecided. Accuracy is over the accepted items
only; the undecided and review columns say how many items that leaves out.

Last line: {"datasets": {NAME: {"accuracy": A, "baseline_accuracy": B, "answers_per_item": X,
"baseline_answers_per_item": Y, "review_share": R, "threshold": T}}}.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATASETS = ROOT.parent / "shared" / "datasets" / "crowd"
SMALL = ("snow_RTE", 100)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="*", help="Crowd folder names (or paths); all of DATASETS by default.")
    parser.add_argument("--root", type=Path, default=DATASETS, help="The folder holding the crowd folders.")
    parser.add_argument("--max-tasks", type=int, help="Replay only the first N tasks of a crowd (all their answers).")
    parser.add_argument("--small", action="store_true", help=f"CI size: {SMALL[0]} cut to {SMALL[1]} tasks.")
    parser.add_argument("--accept-confidence", type=float, help="Default: simulate_crowd's default.")
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args(argv)


def fresh_database(tmp: Path) -> Path:
    """Point Django at an empty SQLite file in tmp, migrate it once and keep a copy to reset to."""
    database = tmp / "replay.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crowdlabel.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
    os.environ.setdefault("STATIC_MANIFEST", "0")
    import django
    from django.core.management import call_command
    from django.db.backends.signals import connection_created

    django.setup()
    connection_created.connect(_no_fsync)
    # The tables straight from the models, as pytest-django's --nomigrations does: rendering the migration
    # history took longer than a small replay. No migration carries data (RunPython, RunSQL), so nothing is lost.
    from django.apps import apps
    from django.conf import settings

    settings.MIGRATION_MODULES = {app.label: None for app in apps.get_app_configs()}
    call_command("migrate", run_syncdb=True, verbosity=0)
    _close()
    shutil.copy(database, tmp / "migrated.sqlite3")
    return database


def _no_fsync(sender, connection, **kwargs):
    # A throwaway database: waiting for the disk on each of thousands of commits was most of a run's time
    # on a busy machine, and a crash loses nothing worth keeping.
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous=OFF")


def _close():
    from django.db import connections

    connections.close_all()


def reset_database(tmp: Path, database: Path) -> None:
    from core.cache import local_copies_clear

    _close()
    # The fresh database numbers its projects from 1 again: what the process kept of the last run's project 1
    # (its competition for the weighted gate, its evaluation debounce) must not answer for this one.
    local_copies_clear()
    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    shutil.copy(tmp / "migrated.sqlite3", database)


def replay(folder: Path, max_tasks, accept_confidence, seed, baseline) -> dict:
    from quality import simulation

    items, labels, workers = simulation.replay_dataset(folder, max_tasks=max_tasks)
    config = simulation.Config(items=items, labels=labels, workers=workers, seed=seed,
                               title=f"Replay {folder.name}{' (baseline)' if baseline else ''}")
    if accept_confidence is not None:
        config.accept_confidence = accept_confidence
    if baseline:
        simulation.make_baseline(config)
    return simulation.run(config, log=lambda line: None)


def main(argv=None) -> dict:
    args = parse_args(argv)
    if args.small:
        names, args.max_tasks = [SMALL[0]], SMALL[1]
    else:
        names = args.datasets or sorted(p.name for p in args.root.iterdir() if (p / "answers.csv").exists())
    folders = [Path(name) if "/" in name else args.root / name for name in names]
    tmp = Path(tempfile.mkdtemp(prefix="crowdlabel-replay-"))
    try:
        database = fresh_database(tmp)
        from quality import simulation

        threshold = args.accept_confidence if args.accept_confidence is not None else simulation.Config.accept_confidence
        results, rows = {}, []
        for folder in folders:
            total = simulation.replay_task_count(folder)
            started = time.monotonic()
            runs = {}
            for baseline in (False, True):
                reset_database(tmp, database)
                runs[baseline] = replay(folder, args.max_tasks, args.accept_confidence, args.seed, baseline)
            seconds = time.monotonic() - started
            ours, base = runs[False], runs[True]
            results[folder.name] = {
                "accuracy": ours["accuracy"], "baseline_accuracy": base["accuracy"],
                "answers_per_item": ours["answers_per_item"], "baseline_answers_per_item": base["answers_per_item"],
                "review_share": ours["review_share"], "threshold": threshold,
            }
            rows.append(_row(folder.name, total, ours, base, threshold, seconds))
            print(rows[-1], flush=True)
        print()
        print(HEADER)
        print("\n".join(rows))
        print(NOTE)
        return {"datasets": results}
    finally:
        _close()
        shutil.rmtree(tmp, ignore_errors=True)


HEADER = (f"{'crowd':<16} {'tasks':>12} {'accuracy':>15} {'scored':>11} {'answers/item':>13} {'review':>7} {'undecided':>17} "
          f"{'threshold':>9} {'acc>=thr':>8} {'fewer':>5} {'secs':>5}\n"
          f"{'':<16} {'replayed':>12} {'ours / base':>15} {'ours / base':>11} {'ours / base':>13} {'ours':>7} {'ours / base':>17}")
NOTE = ("accuracy: share right among the accepted items (undecided and review items are not counted as accepted); "
        "scored: accepted items whose truth the dataset knows (accuracy is over these); tasks: N/M* = the first N of M tasks (cut by --max-tasks); 5% of them are gold checks, not scored; "
        "undecided: items that ran out of replayed workers before a decision; fewer: adaptive overlap paid fewer "
        "answers per item than the baseline at no lower accuracy.")


def _row(name, total, ours, base, threshold, seconds) -> str:
    replayed = ours["items"] + ours["gold_items"]
    tasks = f"{replayed}" if replayed >= total else f"{replayed}/{total}*"
    accuracy = f"{_num(ours['accuracy'])} / {_num(base['accuracy'])}"
    scored = f"{ours['scored']} / {base['scored']}"
    answers = f"{ours['answers_per_item']:.2f} / {base['answers_per_item']:.2f}"
    undecided = f"{ours['items'] - ours['decided'] - ours['review']} / {base['items'] - base['decided'] - base['review']}"
    meets = "yes" if ours["accuracy"] is not None and ours["accuracy"] >= threshold else "NO"
    fewer = "yes" if (ours["answers_per_item"] < base["answers_per_item"]
                      and (ours["accuracy"] or 0) >= (base["accuracy"] or 0)) else "NO"
    return (f"{name:<16} {tasks:>12} {accuracy:>15} {scored:>11} {answers:>13} {ours['review_share']:>7.1%} {undecided:>17} "
            f"{threshold:>9} {meets:>8} {fewer:>5} {seconds:>5.0f}")


def _num(value) -> str:
    return "-" if value is None else f"{value:.3f}"


if __name__ == "__main__":
    print(json.dumps(main()))
