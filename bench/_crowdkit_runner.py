"""Run crowd-kit's aggregators on crowd datasets and print one JSON object.

Runs inside bench/.venv-crowdkit (crowd-kit 1.4.2 needs pandas 2 and scikit-learn < 1.6), started by
bench/truth_inference.py, which never imports crowd-kit itself. Usage:

    python _crowdkit_runner.py [--predictions] DATASET_DIR [DATASET_DIR ...]

Prints {"NAME": {"METHOD": {"accuracy": A, "seconds": S}}}: accuracy in percent on tasks that have both
answers and a truth row, labels compared as strings exactly as read; seconds of fit_predict, the best of
three runs for the fast aggregators (one run for GLAD and MACE, which take minutes). Every row of
answers.csv goes to crowd-kit as collected (it does not deduplicate), with the library's default settings.
With --predictions each method's entry also has "labels": {task: label} for every task, so a caller can
score any subset (bench/calibration.py scores the tasks it did not give as gold).
"""
import json
import sys
import time
from pathlib import Path

import pandas as pd
from crowdkit.aggregation import GLAD, MACE, DawidSkene, MajorityVote, OneCoinDawidSkene, Wawa

AGGREGATORS = {  # name: (class, runs to time)
    "MajorityVote": (MajorityVote, 3),
    "Wawa": (Wawa, 3),
    "DawidSkene": (DawidSkene, 3),
    "OneCoinDawidSkene": (OneCoinDawidSkene, 3),
    "GLAD": (GLAD, 1),
    "MACE": (MACE, 1),
}


def dataset_accuracy(folder: Path, predictions: bool = False) -> dict:
    answers = pd.read_csv(folder / "answers.csv", dtype=str)
    truth = pd.read_csv(folder / "truth.csv", dtype=str).set_index("task")["label"]
    results = {}
    for name, (aggregator, runs) in AGGREGATORS.items():
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            predicted = aggregator().fit_predict(answers)
            timings.append(time.perf_counter() - started)
        judged = truth.index.intersection(predicted.index)
        correct = (predicted.loc[judged].astype(str) == truth.loc[judged]).mean()
        results[name] = {"accuracy": 100.0 * float(correct), "seconds": min(timings)}
        print(f"{folder.name} {name}: {results[name]}", file=sys.stderr, flush=True)
        if predictions:
            results[name]["labels"] = {str(task): str(label) for task, label in predicted.items()}
    return results


def main(arguments: list[str]) -> None:
    predictions = "--predictions" in arguments
    folders = [a for a in arguments if a != "--predictions"]
    print(json.dumps({Path(f).name: dataset_accuracy(Path(f), predictions) for f in folders}))


if __name__ == "__main__":
    main(sys.argv[1:])
