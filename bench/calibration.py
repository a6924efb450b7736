"""Benchmark: is the confidence honest on real crowds? Every method on every crowd, with 5% gold and with none.

    .venv/bin/python bench/calibration.py                 # every data set, crowd-kit beside (its venv: see
                                                          # bench/truth_inference.py; first run ~10 minutes)
    .venv/bin/python bench/calibration.py --small         # CI size: the two smallest crowds, no crowd-kit
    .venv/bin/python bench/calibration.py --fit-default   # also print ρ fitted on every crowd together
    .venv/bin/python bench/calibration.py --seeds 5       # also the default method's ECE for gold seeds 0..4

For each folder of ../shared/datasets/crowd: a seeded 5% of the tasks with truth are given as gold (known
truth), the other tasks with truth are scored. Each method runs through quality.inference.calibration:
  with gold:  ρ fitted on the gold items' out-of-fold posteriors (prior centred on the default below);
  no gold:    the default ρ. The default used for a data set is learned on the OTHER data sets only
              (leave-one-dataset-out), so the "no gold" figures are those of a crowd the default never saw.
Figures on the scored tasks: accuracy, expected calibration error (10 equal-width confidence bins, weighted
by their share of tasks), and the accuracy and share of the tasks whose confidence is >= 0.9. crowd-kit's
aggregators (bench/_crowdkit_runner.py, in their own venv; predictions cached under bench/out/) are scored on
the same tasks; "gap" = points by which the default method trails crowd-kit's best there (positive = behind).
Also printed: how much more often two answers to one task are both wrong than independent errors allow,
P(both wrong) / P(wrong)² over answer pairs on tasks with truth: the reason raw posteriors are overconfident.

Last line, for the default method with gold:
  {"datasets": {NAME: {"acc": A, "ece": E, "acc_at_090": X, "share_at_090": S}}, "worst_ece": W,
   "worst_gap_pt": G}
"""
import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from core.dataset_files import crowd_answers, crowd_truth  # noqa: E402
from quality.inference import DEFAULT_METHOD, METHODS, encode_answers  # noqa: E402
from quality.inference import calibration, selection  # noqa: E402

DATASETS = PROJECT.parent / "shared/datasets/crowd"
CACHE = PROJECT / "bench/out"
SMALL = ["snow_RTE", "zheng_S_Dog"]



class Crowd:
    """One data set: encoded answers, truth per task (-1 = none), the seeded gold tasks and the scored ones."""

    def __init__(self, folder: Path, gold_share: float, seed: int):
        self.name = folder.name
        tasks, workers, labels = crowd_answers(folder / "answers.csv")
        self.encoded = encode_answers(tasks, workers, labels)
        self.truth = self.encoded.known_truth(crowd_truth(folder / "truth.csv"))
        with_truth = np.flatnonzero(self.truth >= 0)
        rng = np.random.default_rng(seed)
        self.gold = np.sort(rng.choice(with_truth, int(round(gold_share * len(with_truth))), replace=False))
        self.scored = np.setdiff1d(with_truth, self.gold)
        self.answers_per_task = np.bincount(self.encoded.task_idx, minlength=self.encoded.n_tasks)

    def known(self) -> np.ndarray:
        known = np.full(self.encoded.n_tasks, -1)
        known[self.gold] = self.truth[self.gold]
        return known

    def error_correlation(self) -> float:
        """P(two answers to one task both wrong) / P(an answer wrong)², over tasks with truth."""
        e = self.encoded
        wrong = np.bincount(e.task_idx, weights=e.label_idx != self.truth[e.task_idx], minlength=e.n_tasks)
        judged = self.truth >= 0
        n, w = self.answers_per_task[judged], wrong[judged]
        pairs, both = (n * (n - 1)).sum(), (w * (w - 1)).sum()
        p_wrong = w.sum() / n.sum()
        return float(both / pairs / p_wrong ** 2) if pairs and p_wrong else float("nan")


def scores(labels, confidence, truth) -> dict:
    correct = labels == truth
    high = confidence >= 0.9
    return {"acc": round(float(correct.mean()), 4), "ece": round(expected_calibration_error(confidence, correct), 4),
            "acc_at_090": round(float(correct[high].mean()), 4) if high.any() else None,
            "share_at_090": round(float(high.mean()), 4)}


def expected_calibration_error(confidence, correct, bins: int = 10) -> float:
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    mean_confidence = np.bincount(which, weights=confidence, minlength=bins)
    accuracy = np.bincount(which, weights=correct.astype(float), minlength=bins)
    return float(np.abs(mean_confidence - accuracy).sum() / max(len(confidence), 1))


def default_curves(crowds: list, raws: dict) -> dict:
    """{data set: mean log-likelihood of its truth per ρ of the grid}, from its run with no known truth."""
    curves = {}
    for crowd in crowds:
        result, judged = raws[crowd.name], np.flatnonzero(crowd.truth >= 0)
        curve = calibration.log_likelihood_curve(result.log_evidence[judged], result.class_prior,
                                                 crowd.answers_per_task[judged], crowd.truth[judged])
        curves[crowd.name] = curve / len(judged)
    return curves


def best_correlation(curves: dict, leave_out=None) -> float:
    """ρ maximising the mean over data sets (each weighing the same) of their per-task log-likelihood."""
    total = sum(curve for name, curve in curves.items() if name != leave_out)
    return float(calibration.CORRELATION_GRID[int(np.argmax(total))])


def our_results(crowds: list, methods: list) -> tuple[dict, dict]:
    """({method: {data set: {"gold", "no_gold", "raw": scores, "rho_gold": ρ, "rho_default": ρ}}},
    {method: curves}). "auto" runs as the platform runs it (selection.infer_auto), each candidate's default
    ρ learned without the data set scored."""
    results, all_curves = {}, {}
    for method in methods:
        raws = {} if method == "auto" else {crowd.name: METHODS[method](*crowd.encoded.arrays()) for crowd in crowds}
        if any(raw.log_evidence is None for raw in raws.values()):
            continue  # a voting method: its confidence is a vote share, nothing to calibrate
        if method != "auto":
            all_curves[method] = default_curves(crowds, raws)
        results[method] = {crowd.name: crowd_result(crowd, method, raws.get(crowd.name), all_curves, len(crowds))
                           for crowd in crowds}
    return results, all_curves


def crowd_result(crowd, method, raw, all_curves, n_crowds) -> dict:
    def left_out(name):
        return best_correlation(all_curves[name], leave_out=crowd.name) if n_crowds > 1 else \
            calibration.default_correlation(name)

    arrays, s = crowd.encoded.arrays(), crowd.scored
    if method == "auto":
        defaults = {name: left_out(name) for name in selection.CANDIDATES}
        gold, fitted = selection.infer_auto(*arrays, known_truth=crowd.known(), default_correlations=defaults)
        raw = METHODS[selection.FALLBACK](*arrays)
        rho_default = defaults[selection.FALLBACK]   # no gold: auto is its fallback with the default ρ
    else:
        rho_default = left_out(method)
        gold, fitted = calibration.infer_calibrated(METHODS[method], *arrays, known_truth=crowd.known(),
                                                    default_correlation=rho_default)
    no_gold = calibration.calibrated(raw, crowd.answers_per_task, [(rho_default, 1.0, 1.0)])
    return {"gold": scores(gold.labels[s], gold.confidence[s], crowd.truth[s]),
            "no_gold": scores(no_gold.labels[s], no_gold.confidence[s], crowd.truth[s]),
            "raw": scores(raw.labels[s], raw.confidence[s], crowd.truth[s]),
            "rho_gold": fitted.correlation, "rho_default": rho_default}


def crowdkit_accuracy(crowds: list, folders: dict) -> dict:
    """{data set: {crowd-kit method: accuracy on the scored tasks}}, predictions cached per file version."""
    sys.path.insert(0, str(PROJECT / "bench"))
    from truth_inference import crowdkit_python

    python = crowdkit_python()
    CACHE.mkdir(exist_ok=True)
    accuracy = {}
    for crowd in crowds:
        answers = folders[crowd.name] / "answers.csv"
        stat = answers.stat()
        cached = CACHE / f"crowdkit-{crowd.name}-{stat.st_size}-{int(stat.st_mtime)}.json"
        if not cached.exists():
            output = subprocess.run([python, PROJECT / "bench/_crowdkit_runner.py", "--predictions",
                                     folders[crowd.name]], check=True, stdout=subprocess.PIPE, text=True,
                                    env={**os.environ, "OMP_NUM_THREADS": "1"})
            cached.write_text(output.stdout.strip().splitlines()[-1])
        by_method = json.loads(cached.read_text())[crowd.name]
        tasks = crowd.encoded.tasks[crowd.scored]
        expected = crowd.encoded.classes[crowd.truth[crowd.scored]]
        accuracy[crowd.name] = {
            method: float(np.mean([row["labels"].get(t) == e for t, e in zip(tasks, expected)]))
            for method, row in by_method.items()
        }
    return accuracy


def seed_spread(folders: dict, gold_share: float, seeds: int, all_curves: dict) -> dict:
    """{data set: [the default method's ECE with gold drawn by seed 0, 1, ...]}. A few dozen gold items are a
    small sample of a crowd (40 items of a crowd 84% right are 92% right one draw in ten): one seed's
    figure mixes the calibration's bias with the luck of its draw, which only several draws tell apart."""
    spread = {}
    for name, folder in folders.items():
        rows = [crowd_result(Crowd(folder, gold_share, seed), DEFAULT_METHOD, None, all_curves, len(folders))
                for seed in range(seeds)]
        spread[name] = [row["gold"]["ece"] for row in rows]
    return spread


def print_spread(spread: dict, gold_share: float) -> None:
    seeds = len(next(iter(spread.values())))
    print(f"\n{gold_share:.0%} gold, {DEFAULT_METHOD}: ECE per gold seed")
    print("data set".ljust(20) + "".join(f"seed {s}".rjust(9) for s in range(seeds)) + "mean".rjust(9)
          + "max".rjust(9) + "> 0.05".rjust(9))
    for name, eces in spread.items():
        values = np.array(eces)
        print(name.ljust(20) + "".join(f"{e:9.3f}" for e in values) + f"{values.mean():9.3f}{values.max():9.3f}"
              + f"{int((values > 0.05).sum()):>6d}/{seeds}")


def print_table(title: str, results: dict, names: list, variant: str, field: str) -> None:
    print(f"\n{title}")
    print("method".ljust(20) + "".join(n.removeprefix("zheng_").rjust(12) for n in names))
    for method, by_name in results.items():
        cells = [by_name[n][variant][field] for n in names]
        print(method.ljust(20) + "".join(("-" if c is None else f"{c:.3f}").rjust(12) for c in cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", action="store_true", help=f"only {', '.join(SMALL)}, no crowd-kit (CI)")
    parser.add_argument("--no-crowdkit", action="store_true")
    parser.add_argument("--fit-default", action="store_true", help="print ρ fitted on every data set together")
    parser.add_argument("--gold-share", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seeds", type=int, default=0,
                        help="also print the default method's ECE with gold drawn by seeds 0..N-1")
    parser.add_argument("--datasets", default=os.environ.get("CROWD_DATASETS", str(DATASETS)))
    args = parser.parse_args()
    folders = {p.name: p for p in sorted(Path(args.datasets).iterdir()) if (p / "answers.csv").exists()}
    if args.small:
        folders = {name: folders[name] for name in SMALL if name in folders}
    crowds = [Crowd(folder, args.gold_share, args.seed) for folder in folders.values()]
    names = [crowd.name for crowd in crowds]
    methods = list(METHODS)
    results, all_curves = our_results(crowds, methods)
    print("two answers to one task both wrong, against independent errors: "
          + ", ".join(f"{c.name} {c.error_correlation():.2f}x" for c in crowds))
    for variant, label in (("raw", "raw posterior"), ("no_gold", "no gold: default ρ (left out)"),
                           ("gold", f"{args.gold_share:.0%} gold: ρ fitted")):
        for field in ("acc", "ece", "acc_at_090", "share_at_090"):
            print_table(f"{label} — {field}", results, names, variant, field)
    print("\nρ fitted with gold / default ρ: " + "; ".join(
        f"{n} {results[DEFAULT_METHOD][n]['rho_gold']:.3f}/{results[DEFAULT_METHOD][n]['rho_default']:.3f}"
        for n in names))
    if args.fit_default:
        for method, curves in all_curves.items():
            print(f"default ρ for {method} on every data set: {best_correlation(curves):.3f}")
    if args.seeds:
        print_spread(seed_spread(folders, args.gold_share, args.seeds, all_curves), args.gold_share)
    ours = {n: results[DEFAULT_METHOD][n]["gold"] for n in names}
    gaps = {}
    if not (args.small or args.no_crowdkit):
        crowdkit = crowdkit_accuracy(crowds, folders)
        for n in names:
            best = max(crowdkit[n], key=crowdkit[n].get)
            gaps[n] = round(100.0 * (crowdkit[n][best] - ours[n]["acc"]), 2)
            print(f"{n}: ours {ours[n]['acc']:.4f}, crowd-kit best {best} {crowdkit[n][best]:.4f} "
                  f"(gap {gaps[n]:+.2f} points); " + ", ".join(f"{m} {a:.4f}" for m, a in crowdkit[n].items()))
    print(json.dumps({"datasets": ours, "worst_ece": max(row["ece"] for row in ours.values()),
                      "worst_gap_pt": max(gaps.values()) if gaps else None}))


if __name__ == "__main__":
    main()
