"""Fine-tune a local BERT-style model for text labels ("sequence") or BIO spans ("token").

Two engines share loading, encoding, evaluation and saving: "trainer" (transformers.Trainer on accelerate:
checkpoints, resume, early stopping, gradient accumulation, mixed precision, DDP under torchrun; the
default) and "legacy" (the hand-written loop it replaced, kept for bench/train.py's comparison). Nothing
here knows about Django; the Celery task passes callbacks, or runs training/ml/launcher.py for N processes.
"""
import time
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import torch
from transformers import AutoTokenizer

from training.ml.datasets import dataset_task, label_names_of
from training.ml.encoding import IGNORED, encode_split, pad_batch
from training.ml.metrics import classification_metrics, token_metrics
from training.ml.runtime import MODEL_CLASSES, autocast, precision_name, resolve_device, write_label_map

ENGINES = ("trainer", "legacy")


@dataclass
class TrainConfig:
    task: str  # "sequence" | "token"
    base_model: str  # a local folder (save_pretrained layout); never a hub name
    epochs: int = 3
    learning_rate: float = 5e-5
    batch_size: int = 16
    max_length: int = 64
    seed: int = 13
    device: str = "auto"  # "auto" | "cpu" | "cuda" | "cuda:1" ...
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    # on_progress is called after the first step (the total is known at once), then after any step at least
    # this many seconds after the previous call, at each validation and checkpoint, and after the last: as often
    # as a page can show it, while a fast GPU loop is not held up by a database write every few milliseconds.
    progress_seconds: float = 1.0
    engine: str = "trainer"  # "trainer" | "legacy"
    precision: str = "auto"  # "auto" (bf16 or fp16 on CUDA, fp32 on CPU) | "fp32" | "bf16" | "fp16"
    gradient_accumulation: int = 1  # optimiser steps every N batches: an effective batch of N x batch_size
    checkpoint_steps: int = 0  # a checkpoint (and a validation) every N optimiser steps; 0: every epoch
    keep_checkpoints: int = 2  # older ones are deleted (the best one is always kept)
    early_stopping_patience: int = 0  # stop after N validations without a better score; 0: never
    processes: int = 1  # read by training/ml/launcher.py, which starts that many under torchrun
    export_onnx: bool = False  # launcher runs: model.onnx beside the saved model, for CPU serving
    quantize_int8: bool = False  # and model.int8.onnx (dynamic int8 quantisation), served first


@dataclass
class TrainResult:
    metrics: dict  # {"validation": {...}, "test": {...}}; {} for an empty split
    samples_per_s: float  # training examples per second of the loop (evaluation and saving excluded)
    wall_seconds: float  # the whole call: loading, encoding, training, evaluation, saving
    device: str
    steps: int
    output_dir: Path
    precision: str = "fp32"
    label_names: list = field(default_factory=list)
    history: list = field(default_factory=list)  # [{"step", "loss"} | {"step", "validation_loss", "validation_score"}]
    checkpoints: list = field(default_factory=list)  # folder names under output_dir/checkpoints
    resumed_from: str | None = None  # the checkpoint this call started from
    engine: str = "trainer"
    processes: int = 1

    def as_dict(self) -> dict:
        """JSON-ready, for a database field."""
        return {**asdict(self), "output_dir": str(self.output_dir)}


class TrainingCancelled(Exception):
    """should_stop() said yes; nothing was saved."""

    def __init__(self, step, total_steps):
        super().__init__(f"training cancelled after {step} of {total_steps} steps")
        self.step, self.total_steps = step, total_steps


def train(config, dataset_dict, output_dir, *, on_progress=None, should_stop=None, model=None, tokenizer=None,
          on_history=None) -> TrainResult:
    """Train on dataset_dict["train"], evaluate on validation and test, save model + tokenizer + label map.

    on_progress(step, total_steps, mean loss since the last call); should_stop() -> bool, polled before
    every step: True raises TrainingCancelled. on_history(rows): the curves' points (TrainResult.history's rows)
    logged since its last call, just before the on_progress call they go with (Trainer engine only).
    model/tokenizer replace loading config.base_model (tests).
    A relaunched run with checkpoints in output_dir/checkpoints resumes from the last (Trainer engine).
    Returns None in the processes other than the first under torchrun.
    """
    started = time.perf_counter()
    label_names = _checked_labels(config, dataset_dict)
    torch.manual_seed(config.seed)
    device = resolve_device(config.device)
    tokenizer = tokenizer or AutoTokenizer.from_pretrained(config.base_model, local_files_only=True)
    model = model or load_base_model(config, label_names)
    name_labels(model, label_names)
    encoded = {split: encode_split(rows, tokenizer, config.task, config.max_length) for split, rows in dataset_dict.items()}
    batches = partial(pad_batch, pad_token_id=tokenizer.pad_token_id)
    outcome = _fit(model, tokenizer, encoded, batches, config, device, output_dir, label_names, on_progress, should_stop,
                   on_history)
    if not outcome.main_process:  # under torchrun, process 0 alone evaluates and saves
        return None
    model = outcome.model.to(device)
    metrics = {
        split: evaluate(model, encoded.get(split, []), dataset_dict.get(split), batches, config, device, label_names)
        for split in ("validation", "test")
    }
    save_model(model, tokenizer, output_dir, config, label_names)
    return TrainResult(
        metrics=metrics,
        samples_per_s=outcome.samples / max(outcome.seconds, 1e-9),
        wall_seconds=time.perf_counter() - started,
        device=device.type,
        steps=outcome.steps,
        output_dir=Path(output_dir),
        precision=precision_name(device, config.precision),
        label_names=label_names,
        history=outcome.history,
        checkpoints=outcome.checkpoints,
        resumed_from=outcome.resumed_from,
        engine=config.engine,
        processes=config.processes,
    )


def _fit(model, tokenizer, encoded, batches, config, device, output_dir, label_names, on_progress, should_stop,
         on_history=None):
    if config.engine == "legacy":
        from training.ml.legacy import fit_legacy

        return fit_legacy(model.to(device), encoded, batches, config, device, on_progress, should_stop, TrainingCancelled)
    from training.ml.hf_engine import fit_trainer

    return fit_trainer(model, tokenizer, encoded, batches, config, output_dir, label_names,
                       on_progress=on_progress, should_stop=should_stop, cancelled=TrainingCancelled,
                       on_history=on_history)


def load_base_model(config, label_names):
    """The base encoder with a fresh head of len(label_names) outputs, from the local folder only."""
    return MODEL_CLASSES[config.task].from_pretrained(
        config.base_model,
        num_labels=len(label_names),
        id2label=dict(enumerate(label_names)),
        label2id={name: i for i, name in enumerate(label_names)},
        local_files_only=True,
    )


def name_labels(model, label_names):
    """Put the label names in the model's config, so the saved config.json names them too."""
    if model.config.num_labels != len(label_names):
        raise ValueError(f"model has {model.config.num_labels} outputs for {len(label_names)} labels")
    model.config.id2label = dict(enumerate(label_names))
    model.config.label2id = {name: i for i, name in enumerate(label_names)}


def evaluate(model, examples, rows, batches, config, device, label_names) -> dict:
    """Metrics of one split; {} when it is empty (a tiny data set may have no test rows)."""
    if not examples:
        return {}
    argmaxes = predicted_ids(model, examples, batches, config.batch_size, device, config.precision)
    if config.task == "sequence":
        return classification_metrics(rows["label"], [int(a) for a in argmaxes], label_names)
    gold = [[label_names[tag] for tag in tags] for tags in rows["ner_tags"]]
    predicted = [word_tags(example, argmax, len(words), label_names) for example, argmax, words in zip(examples, argmaxes, gold)]
    return token_metrics(gold, predicted)


@torch.no_grad()
def predicted_ids(model, examples, batches, batch_size, device, precision="auto") -> list:
    """Arg-max label ids: one per example (sequence) or one array per example over its sub-tokens (token)."""
    model.eval()
    results = []
    for start in range(0, len(examples), batch_size):
        batch = batches(examples[start:start + batch_size])
        batch.pop("labels", None)
        with autocast(device, precision):
            logits = model(**{key: value.to(device) for key, value in batch.items()}).logits
        results.extend(np.asarray(logits.argmax(dim=-1).cpu()))
    return results


def word_tags(example, argmax, word_count, label_names) -> list:
    """Tag names per word from the first sub-token of each; words cut off by max_length count as "O",
    so truncation shows in the figures as missed entities rather than vanishing from them."""
    tags = ["O"] * word_count
    positions = [position for position, label in enumerate(example["labels"]) if label != IGNORED]
    for position, word in zip(positions, example["word_index"]):
        tags[word] = label_names[int(argmax[position])]
    return tags


def save_model(model, tokenizer, output_dir, config, label_names):
    """save_pretrained layout plus label_map.json: what Predictor loads."""
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(output_dir)
    tokenizer.save_pretrained(output_dir)
    write_label_map(output_dir, task=config.task, label_names=label_names, max_length=config.max_length)


def _checked_labels(config, dataset_dict) -> list:
    if config.engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {config.engine!r}")
    if config.task not in MODEL_CLASSES:
        raise ValueError(f"task must be one of {sorted(MODEL_CLASSES)}, got {config.task!r}")
    if dataset_task(dataset_dict) != config.task:
        raise ValueError(f"config.task is {config.task!r} but the data set is for {dataset_task(dataset_dict)!r}")
    if len(dataset_dict["train"]) == 0:
        raise ValueError("the train split is empty")
    return label_names_of(dataset_dict)
