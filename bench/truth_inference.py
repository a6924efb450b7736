"""Benchmark: our truth-inference methods against crowd-kit on the real crowd data sets.

    .venv/bin/python bench/truth_inference.py

For every folder in ../shared/datasets/crowd (answers.csv, truth.csv) it runs every method in
quality.inference.METHODS in this process, and crowd-kit's MajorityVote, Wawa, DawidSkene, OneCoinDawidSkene, GLAD and MACE
in a separate virtual environment, bench/.venv-crowdkit, because crowd-kit 1.4.2 crashes with pandas 3 and
scikit-learn 1.9. That venv is created on the first run (python -m venv, then pip install of CROWDKIT_PINS;
about a minute) and reused after. The crowd-kit part takes ~8 minutes on two cores: its GLAD and MACE are
slow.

Accuracy: percent of the tasks with a truth row whose inferred label equals it. Seconds: best of three
runs; ours include encoding the string triples (crowd-kit's include its own pandas work on the same
strings); reading the CSV is in neither. Duplicates: we count one answer per (task, worker), the last
(quality/inference/encoding.py); crowd-kit gets every row.

The last line printed is one JSON object:
  {"datasets": {NAME: {"ours": ACC, "best_crowdkit": ACC, "ours_s": S, "crowdkit_ds_s": S}},
   "worst_gap_pt": G, "speedup_vs_crowdkit_ds": X}
ours = DEFAULT_METHOD; G = max over data sets of (best_crowdkit - ours), in points, so G <= 0.3 means
never more than 0.3 points behind the best crowd-kit method; X = crowd-kit DawidSkene seconds / ours on
the data set with the most answers (S_Rel).
"""
import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
os.environ.setdefault("OMP_NUM_THREADS", "1")  # both sides single-threaded, so seconds compare

import numpy as np  # noqa: E402

from quality.inference import DEFAULT_METHOD, METHODS, encode_answers  # noqa: E402

DATASETS = PROJECT.parent / "shared/datasets/crowd"
CROWDKIT_VENV = PROJECT / "bench/.venv-crowdkit"
CROWDKIT_RUNNER = PROJECT / "bench/_crowdkit_runner.py"
CROWDKIT_PINS = ["crowd-kit==1.4.2", "pandas==2.3.3", "scikit-learn==1.5.2", "numpy==2.2.6"]
CROWDKIT_METHODS = ["MajorityVote", "Wawa", "DawidSkene", "OneCoinDawidSkene", "GLAD", "MACE"]
RUNS = 3


def read_rows(path: Path) -> list:
    with path.open(newline="") as handle:
        return list(csv.reader(handle))[1:]


def timed_best(function, runs=RUNS):
    """(result of the last run, fewest seconds over `runs` runs)."""
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        timings.append(time.perf_counter() - started)
    return result, min(timings)


def our_results(folder: Path) -> dict:
    """{method: {"accuracy": percent, "seconds": s}} for every method in METHODS."""
    tasks, workers, labels = zip(*read_rows(folder / "answers.csv"))
    truth = dict(read_rows(folder / "truth.csv"))
    encoded, encode_seconds = timed_best(lambda: encode_answers(tasks, workers, labels))
    truth_ids = np.array(list(truth), dtype=str)
    position = np.searchsorted(encoded.tasks, truth_ids).clip(max=encoded.n_tasks - 1)
    judged = encoded.tasks[position] == truth_ids
    expected = np.array(list(truth.values()), dtype=str)[judged]
    results = {}
    for name, method in METHODS.items():
        result, seconds = timed_best(lambda method=method: method(*encoded.arrays()))
        accuracy = 100.0 * float(np.mean(encoded.classes[result.labels[position[judged]]] == expected))
        confidence = 100.0 * float(np.mean(result.confidence[position[judged]]))
        results[name] = {"accuracy": accuracy, "seconds": seconds + encode_seconds, "confidence": confidence}
    return results


def crowdkit_python() -> Path:
    """The crowd-kit venv's python, creating the venv first when it is missing or incomplete."""
    python = CROWDKIT_VENV / "bin/python"
    if python.exists() and subprocess.run([python, "-c", "import crowdkit"], capture_output=True).returncode == 0:
        return python
    print(f"creating {CROWDKIT_VENV} ({' '.join(CROWDKIT_PINS)})", file=sys.stderr, flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", CROWDKIT_VENV], check=True)
    subprocess.run([python, "-m", "pip", "install", "--quiet", *CROWDKIT_PINS], check=True)
    return python


def crowdkit_results(folders: list) -> dict:
    output = subprocess.run([crowdkit_python(), CROWDKIT_RUNNER, *map(str, folders)], check=True,
                            stdout=subprocess.PIPE, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    return json.loads(output.stdout.strip().splitlines()[-1])


def print_table(title: str, rows: dict, datasets: list, field: str, fmt: str) -> None:
    width = max(len(name) for name in rows) + 2
    print(f"\n{title}")
    print("method".ljust(width) + "".join(name.removeprefix("zheng_").rjust(12) for name in datasets))
    for method, by_dataset in rows.items():
        print(method.ljust(width) + "".join(format(by_dataset[d][field], fmt).rjust(12) for d in datasets))


def summary(ours: dict, crowdkit: dict, largest: str) -> dict:
    datasets = {}
    for name in ours:
        datasets[name] = {
            "ours": round(ours[name][DEFAULT_METHOD]["accuracy"], 2),
            "best_crowdkit": round(max(crowdkit[name][m]["accuracy"] for m in CROWDKIT_METHODS), 2),
            "ours_s": round(ours[name][DEFAULT_METHOD]["seconds"], 4),
            "crowdkit_ds_s": round(crowdkit[name]["DawidSkene"]["seconds"], 4),
        }
    worst_gap = max(row["best_crowdkit"] - row["ours"] for row in datasets.values())
    speedup = crowdkit[largest]["DawidSkene"]["seconds"] / ours[largest][DEFAULT_METHOD]["seconds"]
    return {"datasets": datasets, "worst_gap_pt": round(worst_gap, 2), "speedup_vs_crowdkit_ds": round(speedup, 1)}


def main() -> None:
    folders = sorted(path for path in DATASETS.iterdir() if (path / "answers.csv").exists())
    names = [folder.name for folder in folders]
    ours = {folder.name: our_results(folder) for folder in folders}
    crowdkit = crowdkit_results(folders)
    rows = {f"ours:{m}" + (" (default)" if m == DEFAULT_METHOD else ""): {d: ours[d][m] for d in names}
            for m in METHODS}
    rows.update({f"crowdkit:{m}": {d: crowdkit[d][m] for d in names} for m in CROWDKIT_METHODS})
    print_table("accuracy, % of tasks with truth", rows, names, "accuracy", ".2f")
    print_table("seconds (best of runs; ours include encoding)", rows, names, "seconds", ".3f")
    ours_rows = {name: by_dataset for name, by_dataset in rows.items() if name.startswith("ours:")}
    print_table("our mean confidence on the same tasks, % (vote share for the voting methods; compare with"
                " accuracy: above it = overconfident)", ours_rows, names, "confidence", ".2f")
    largest = max(folders, key=lambda folder: len(read_rows(folder / "answers.csv"))).name
    print(f"\nlargest data set: {largest}; default method: {DEFAULT_METHOD}")
    print(json.dumps(summary(ours, crowdkit, largest)))


if __name__ == "__main__":
    main()
