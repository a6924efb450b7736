"""Benchmark: fine-tune the packaged all-MiniLM-L6-v2 for product categories and for query entities.

    OMP_NUM_THREADS=1 .venv/bin/python bench/train.py [--titles 2000] [--queries 2000] [--epochs-cls 2] [--epochs-ner 3] ...
    OMP_NUM_THREADS=1 .venv/bin/python bench/train.py --small     # CI size: 200 titles, 200 queries, one epoch

Classification: a stratified sample of --titles distinct PriceRunner product titles (10 categories; exact
duplicate titles dropped first, since the same title from two merchants would sit in train and test),
split 70/10/20 by build_classification_dataset; figures on its test split.
NER: the first --queries of a seeded shuffle of QueryNER's train split, its whole validation and test
splits; each is turned back into text + character spans and goes through build_token_dataset, as
annotations from the platform would. Figures on QueryNER's test split.

Both run on --device (default "auto": a GPU where one exists) at --precision (auto: bf16/fp16 on GPU, fp32
on CPU). samples/s counts training examples per second of the training loop only (the Trainer engine's
evaluations and checkpoints left out); wall seconds cover loading, encoding, training, evaluation and saving.
--engines trainer,legacy trains each task with both engines in one run, same data and settings: the
Trainer engine against the hand-written loop it replaced (before/after). The defaults take a few minutes
on two CPU cores with OMP_NUM_THREADS=1.

The last line printed is one JSON object, one entry per engine:
  {"trainer": {"classification": {"samples_per_s": X, "macro_f1": F, "device": D, "precision": P},
               "ner": {"samples_per_s": X, "entity_f1": F, "device": D, "precision": P}},
   "legacy": {...}}
On a GPU machine, from a copy of the working tree with the MiniLM folder beside it:
  python bench/train.py --device cuda --precision bf16 --engines trainer --base-model PATH
  python bench/train.py --device cuda --precision fp32 --engines trainer --base-model PATH
"""
import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
for variable, value in (("OMP_NUM_THREADS", "1"), ("HF_HUB_OFFLINE", "1"), ("TOKENIZERS_PARALLELISM", "false")):
    os.environ.setdefault(variable, value)

import numpy as np  # noqa: E402
import transformers  # noqa: E402
from datasets import DatasetDict  # noqa: E402

from core.dataset_files import bio_to_spans, pricerunner_titles  # noqa: E402
from training.ml import base_model_path  # noqa: E402
from training.ml.datasets import build_classification_dataset, build_token_dataset  # noqa: E402
from training.ml.finetune import TrainConfig, train  # noqa: E402

ECOMMERCE = PROJECT.parent / "shared/datasets/ecommerce"
PRICERUNNER = "pricerunner_product_titles/pricerunner_aggregate.csv"
QUERYNER = "queryner/hf_json"


def read_titles(path) -> list:
    """{"text": title, "label": category} per distinct title (core.dataset_files decides what distinct means)."""
    return [{"text": r["title"], "label": r["category"]} for r in pricerunner_titles(path)]


def stratified_sample(records, size, seed) -> list:
    """About `size` records keeping each label's share (largest remainders decide the rounding)."""
    rng = np.random.default_rng(seed)
    by_label = {}
    for record in records:
        by_label.setdefault(record["label"], []).append(record)
    labels = sorted(by_label)
    shares = np.array([len(by_label[label]) for label in labels]) * min(size, len(records)) / len(records)
    quotas = np.floor(shares).astype(int)
    quotas[np.argsort(quotas - shares)[: int(round(shares.sum())) - quotas.sum()]] += 1
    return [by_label[label][i] for label, quota in zip(labels, quotas) for i in rng.permutation(len(by_label[label]))[:quota]]


def read_queries(folder, split, tag_names, limit=None, seed=13) -> list:
    examples = json.loads((folder / f"{split}.json").read_text())["examples"]
    if limit is not None:
        examples = [examples[i] for i in np.random.default_rng(seed).permutation(len(examples))[:limit]]
    return [bio_to_spans(e["tokens"], [tag_names[tag] for tag in e["ner_tags"]]) for e in examples]


def run_classification(args) -> dict:
    records = stratified_sample(read_titles(args.data_root / PRICERUNNER), args.titles, args.seed)
    labels = sorted({record["label"] for record in records})
    dataset = build_classification_dataset(records, labels, seed=args.seed, validation=0.1, test=0.2)
    config = TrainConfig(task="sequence", epochs=args.epochs_cls, **common_settings(args))
    result = train_reporting("classification", config, dataset)
    test = result.metrics["test"]
    print(f"classification: test accuracy {test['accuracy']:.4f} macro-F1 {test['macro_f1']:.4f} on {test['examples']} titles")
    return {"samples_per_s": round(result.samples_per_s, 1), "macro_f1": round(test["macro_f1"], 4), "device": result.device,
            "precision": result.precision}


def run_ner(args) -> dict:
    folder = args.data_root / QUERYNER
    tag_names = json.loads((folder / "label_names.json").read_text())
    entity_types = [name[2:] for name in tag_names if name.startswith("B-")]
    dataset = DatasetDict()
    for split, limit in (("train", args.queries), ("validation", None), ("test", None)):
        records = read_queries(folder, split, tag_names, limit, args.seed)
        dataset[split] = build_token_dataset(records, entity_types, validation=0, test=0)["train"]
    config = TrainConfig(task="token", epochs=args.epochs_ner, **common_settings(args))
    result = train_reporting("ner", config, dataset)
    test = result.metrics["test"]
    print(f"ner: test entity P {test['precision']:.4f} R {test['recall']:.4f} F1 {test['f1']:.4f} on {test['examples']} queries")
    return {"samples_per_s": round(result.samples_per_s, 1), "entity_f1": round(test["f1"], 4), "device": result.device,
            "precision": result.precision}


def common_settings(args) -> dict:
    """The same settings for both engines; checkpoints once at the end only (a bench measures training)."""
    return {"base_model": args.base_model, "learning_rate": args.learning_rate, "batch_size": args.batch_size,
            "max_length": args.max_length, "seed": args.seed, "device": args.device, "precision": args.precision,
            "engine": args.engine, "keep_checkpoints": 1}


def train_reporting(name, config, dataset):
    sizes = {split: len(rows) for split, rows in dataset.items()}
    print(f"{name} [{config.engine}]: {sizes}, {config.epochs} epochs, batch {config.batch_size}, max_length {config.max_length}", flush=True)
    with tempfile.TemporaryDirectory() as output_dir:
        result = train(config, dataset, output_dir, on_progress=lambda step, total, loss: progress_line(name, step, total, loss))
    print(f"{name}: {result.steps} steps on {result.device} ({result.precision}), {result.samples_per_s:.1f} samples/s, "
          f"wall {result.wall_seconds:.1f} s", flush=True)
    return result


def progress_line(name, step, total, loss):
    print(f"  {name} step {step}/{total} loss {loss:.4f}", file=sys.stderr, flush=True)


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--titles", type=int, default=2000, help="PriceRunner titles sampled (70/10/20 split)")
    parser.add_argument("--queries", type=int, default=2000, help="QueryNER train queries used")
    parser.add_argument("--epochs-cls", type=int, default=2)
    parser.add_argument("--epochs-ner", type=int, default=3)
    # 3e-4 rather than the usual 5e-5: with ~100 steps the fresh head and MiniLM's untrained pooler lag behind
    # (2 epochs of 2,000 titles: macro-F1 0.73 at 1e-4, 0.91 at 3e-4)
    parser.add_argument("--learning-rate", type=float, default=3e-4)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=32)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16", "fp16"])
    parser.add_argument("--engines", default="trainer,legacy", help="comma-separated: trainer, legacy")
    parser.add_argument("--base-model", help="a local model folder (default: the packaged MiniLM)")
    parser.add_argument("--data-root", type=Path, default=ECOMMERCE, help="the folder holding the two data sets")
    parser.add_argument("--only", choices=["classification", "ner"], help="run one of the two")
    parser.add_argument("--small", action="store_true",
                        help="CI size: 200 titles, 200 queries, one epoch each, the trainer engine only")
    args = parser.parse_args()
    if args.small:
        args.titles, args.queries, args.epochs_cls, args.epochs_ner, args.engines = 200, 200, 1, 1, "trainer"
    return args


def main():
    args = parse_arguments()
    transformers.logging.set_verbosity_error()  # the "classifier newly initialised" report is expected here
    transformers.logging.disable_progress_bar()
    args.base_model = args.base_model or str(base_model_path())
    figures = {}
    for engine in args.engines.split(","):
        args.engine, figures[engine] = engine, {}
        if args.only in (None, "classification"):
            figures[engine]["classification"] = run_classification(args)
        if args.only in (None, "ner"):
            figures[engine]["ner"] = run_ner(args)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
