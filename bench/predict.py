"""Benchmark: prediction throughput on the CPU, PyTorch against ONNX Runtime, same model and same texts.

    OMP_NUM_THREADS=1 .venv/bin/python bench/predict.py [--titles 1000] [--epochs 2] [--texts 512] [--fp32] [--model-dir DIR]
    OMP_NUM_THREADS=1 .venv/bin/python bench/predict.py --small     # CI size: 200 titles, 64 texts, one epoch, one round

Without --model-dir, fine-tunes the packaged all-MiniLM-L6-v2 on --titles PriceRunner titles for --epochs
(as bench/train.py does) and exports it as a finished run is exported: fp32 ONNX plus the int8 copy whose
unsure texts the fp32 file answers again, its fallback margin calibrated on the training titles (with
--model-dir: on other sampled titles, never the timed ones); --fp32 exports and serves the fp32 file alone.
Then it times Predictor.predict -- what the prediction API calls, with its default batching -- on --texts
held-out titles in requests of 1 and 64 texts, each backend on the same texts after one warm-up request.
same_labels is the share of texts whose label is the same from both backends.

Each figure is the best of --rounds rounds (default 3) in which the backends take turns: on a machine
shared with other work a measurement can lose its core for a while, and turns give every backend the same
chances.

PyTorch is timed twice: as served (the Predictor sorts a request's texts by length into sub-batches, for
every backend) and as before that change ("torch_unsorted": each request one batch in the caller's
order), so the baseline is visibly not weakened.

The last line printed is one JSON object; the same rates per CPU second of the process follow same_labels:
  {"torch_per_s": {"1": A, "64": B}, "onnx_per_s": {"1": C, "64": D}, "same_labels": S,
   "torch_per_cpu_s": {...}, "onnx_per_cpu_s": {...}, "torch_unsorted_per_s": {...}, "torch_unsorted_per_cpu_s": {...},
   "onnx_recomputed": R}
R is the share of texts the cascade sent to the fp32 file (its cost), null with --fp32.
"""
import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
for variable, value in (("OMP_NUM_THREADS", "1"), ("HF_HUB_OFFLINE", "1"), ("TOKENIZERS_PARALLELISM", "false")):
    os.environ.setdefault(variable, value)

import torch  # noqa: E402
import transformers  # noqa: E402

from bench.train import ECOMMERCE, PRICERUNNER, read_titles, stratified_sample  # noqa: E402
from training.ml import base_model_path  # noqa: E402
from training.ml.datasets import build_classification_dataset  # noqa: E402
from training.ml.finetune import TrainConfig, train  # noqa: E402
from training.ml.onnx_export import export_onnx  # noqa: E402
from training.ml.predict import Predictor  # noqa: E402

REQUEST_SIZES = (1, 64)


def trained_model(args, folder) -> tuple:
    """(model folder, held-out texts, training texts): a quick fine-tune, so the labels compared are real decisions."""
    records = stratified_sample(read_titles(args.data_root / PRICERUNNER), args.titles + args.texts, args.seed)
    labels = sorted({record["label"] for record in records})
    share = args.texts / len(records)
    dataset = build_classification_dataset(records, labels, seed=args.seed, validation=0.0, test=share)
    config = TrainConfig(task="sequence", base_model=str(base_model_path()), epochs=args.epochs, learning_rate=3e-4, batch_size=32,
                         max_length=32, seed=args.seed, device="cpu", keep_checkpoints=1)
    result = train(config, dataset, folder)
    print(f"trained on {len(dataset['train'])} titles: test macro-F1 {result.metrics['test']['macro_f1']:.4f}", flush=True)
    return folder, list(dataset["test"]["text"]), list(dataset["train"]["text"])


def texts_per_second(predictor, texts, request, **batching) -> tuple:
    """(texts/s, texts per CPU second, labels): the API's call on request texts at a time, after a warm-up request.

    Per CPU second (this process's, one thread) as well: on a machine shared with other work the wall clock
    also counts the time the process waited for a core, which moves from one backend's turn to the other's."""
    predictor.predict(texts[:request], **batching)
    if hasattr(predictor.model, "recomputed"):
        predictor.model.answered = predictor.model.recomputed = 0
    started, cpu_started = time.perf_counter(), time.process_time()
    labels = []
    for start in range(0, len(texts), request):
        labels.extend(p["label"] for p in predictor.predict(texts[start:start + request], **batching))
    return len(texts) / (time.perf_counter() - started), len(texts) / (time.process_time() - cpu_started), labels


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--titles", type=int, default=1000, help="titles to fine-tune on (no --model-dir)")
    parser.add_argument("--texts", type=int, default=512, help="held-out titles to predict")
    parser.add_argument("--epochs", type=int, default=2, help="fine-tuning epochs (no --model-dir)")
    parser.add_argument("--fp32", action="store_true", help="export and serve the fp32 ONNX file alone (no int8 cascade)")
    parser.add_argument("--model-dir", type=Path, help="a folder written by a run (with its test texts: titles are sampled)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--data-root", type=Path, default=ECOMMERCE)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of measurements; each figure is the best round's")
    parser.add_argument("--small", action="store_true", help="CI size: 200 titles, 64 texts, one epoch, one round")
    args = parser.parse_args()
    if args.small:
        args.titles, args.texts, args.epochs, args.rounds = 200, 64, 1, 1
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    with tempfile.TemporaryDirectory() as scratch:
        if args.model_dir:
            folder = args.model_dir
            titles = [r["text"] for r in stratified_sample(read_titles(args.data_root / PRICERUNNER), 2 * args.texts, args.seed + 1)]
            texts, calibration = titles[::2], titles[1::2]
        else:
            folder, texts, calibration = trained_model(args, Path(scratch) / "model")
        started = time.perf_counter()
        export_onnx(folder, quantize=not args.fp32, calibration_texts=calibration)
        print(f"exported in {time.perf_counter() - started:.1f} s; {len(texts)} texts, {torch.get_num_threads()} thread(s)", flush=True)
        backends = {"torch": (Predictor(folder, device="cpu", backend="torch"), False),
                    "torch_unsorted": (Predictor(folder, device="cpu", backend="torch", length_sorted=False), True),
                    "onnx": (Predictor(folder, device="cpu", backend="onnx", prefer_int8=not args.fp32), False)}
        print(f"onnx serves {Path(backends['onnx'][0].model.path).name}", flush=True)
        figures, cpu_figures, labels = {}, {}, {}
        for round_number in range(1, args.rounds + 1):
            for name, (predictor, whole_request) in backends.items():
                for request in REQUEST_SIZES:
                    batching = {"batch_size": request} if whole_request else {}
                    rate, cpu_rate, labels[name] = texts_per_second(predictor, texts, request, **batching)
                    best = figures.setdefault(f"{name}_per_s", {}), cpu_figures.setdefault(f"{name}_per_cpu_s", {})
                    for kept, measured in zip(best, (rate, cpu_rate)):
                        kept[str(request)] = max(kept.get(str(request), 0), round(measured, 1))
                    print(f"round {round_number}, {name}, requests of {request}: {rate:.1f} texts/s, "
                          f"{cpu_rate:.1f} per CPU second (load {os.getloadavg()[0]:.2f})", flush=True)
        cascade = backends["onnx"][0].model
        recomputed = round(cascade.recomputed / cascade.answered, 4) if hasattr(cascade, "recomputed") else None
        if recomputed is not None:
            print(f"the int8 cascade recomputed {recomputed:.2%} of the texts in fp32 (last measurement)", flush=True)
        same = sum(a == b for a, b in zip(labels["torch"], labels["onnx"])) / len(texts)
        sorting = sum(a == b for a, b in zip(labels["torch"], labels["torch_unsorted"])) / len(texts)
        print(f"torch labels sorted vs unsorted: {sorting:.2%} the same", flush=True)
        print(json.dumps({"torch_per_s": figures["torch_per_s"], "onnx_per_s": figures["onnx_per_s"], "same_labels": round(same, 4),
                          **cpu_figures, "torch_unsorted_per_s": figures["torch_unsorted_per_s"], "onnx_recomputed": recomputed}))


if __name__ == "__main__":
    main()
