"""Fine-tune a local BERT-style model for text labels ("sequence") or BIO spans ("token").

A plain PyTorch loop (AdamW, linear warm-up and decay) rather than transformers.Trainer: the loop is short,
reports progress when we say, stops between any two steps, and never reaches for the network or for extra
packages (accelerate). Nothing here knows about Django; the Celery task passes callbacks.
"""
import time
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader
from transformers import AutoTokenizer, get_linear_schedule_with_warmup

from training.ml.datasets import dataset_task, label_names_of
from training.ml.encoding import IGNORED, encode_split, pad_batch
from training.ml.metrics import classification_metrics, token_metrics
from training.ml.runtime import MODEL_CLASSES, autocast, autocast_dtype, precision_name, resolve_device, write_label_map


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
    # this many seconds after the previous call, and after the last: as often as a page can show it, while
    # a fast GPU loop is not held up by a database write every few milliseconds.
    progress_seconds: float = 1.0


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

    def as_dict(self) -> dict:
        """JSON-ready, for a database field."""
        return {**asdict(self), "output_dir": str(self.output_dir)}


class TrainingCancelled(Exception):
    """should_stop() said yes; nothing was saved."""

    def __init__(self, step, total_steps):
        super().__init__(f"training cancelled after {step} of {total_steps} steps")
        self.step, self.total_steps = step, total_steps


def train(config, dataset_dict, output_dir, *, on_progress=None, should_stop=None, model=None, tokenizer=None) -> TrainResult:
    """Train on dataset_dict["train"], evaluate on validation and test, save model + tokenizer + label map.

    on_progress(step, total_steps, mean loss since the last call); should_stop() -> bool, polled before
    every step: True raises TrainingCancelled. model/tokenizer replace loading config.base_model (tests).
    """
    started = time.perf_counter()
    label_names = _checked_labels(config, dataset_dict)
    torch.manual_seed(config.seed)
    device = resolve_device(config.device)
    tokenizer = tokenizer or AutoTokenizer.from_pretrained(config.base_model, local_files_only=True)
    model = (model or load_base_model(config, label_names)).to(device)
    name_labels(model, label_names)
    encoded = {split: encode_split(rows, tokenizer, config.task, config.max_length) for split, rows in dataset_dict.items()}
    batches = partial(pad_batch, pad_token_id=tokenizer.pad_token_id)
    steps, samples, loop_seconds = fit(model, encoded["train"], batches, config, device, on_progress, should_stop)
    metrics = {
        split: evaluate(model, encoded.get(split, []), dataset_dict.get(split), batches, config, device, label_names)
        for split in ("validation", "test")
    }
    save_model(model, tokenizer, output_dir, config, label_names)
    return TrainResult(
        metrics=metrics,
        samples_per_s=samples / max(loop_seconds, 1e-9),
        wall_seconds=time.perf_counter() - started,
        device=device.type,
        steps=steps,
        output_dir=Path(output_dir),
        precision=precision_name(device),
        label_names=label_names,
    )


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


def fit(model, examples, batches, config, device, on_progress, should_stop) -> tuple:
    """The training loop: (steps, samples seen, seconds)."""
    generator = torch.Generator().manual_seed(config.seed)
    loader = DataLoader(examples, batch_size=config.batch_size, shuffle=True, generator=generator, collate_fn=batches)
    total_steps = len(loader) * config.epochs
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    schedule = get_linear_schedule_with_warmup(optimizer, int(total_steps * config.warmup_ratio), total_steps)
    scaler = torch.amp.GradScaler(device.type, enabled=autocast_dtype(device) == torch.float16)
    model.train()
    step, samples, recent_losses, started = 0, 0, [], time.perf_counter()
    reported_at = -float("inf")
    for _ in range(config.epochs):
        for batch in loader:
            if should_stop is not None and should_stop():
                raise TrainingCancelled(step, total_steps)
            recent_losses.append(train_step(model, batch, device, optimizer, schedule, scaler))
            step, samples = step + 1, samples + len(batch["input_ids"])
            now = time.perf_counter()
            if on_progress is not None and (now - reported_at >= config.progress_seconds or step == total_steps):
                on_progress(step, total_steps, torch.stack(recent_losses).mean().item())
                recent_losses, reported_at = [], now
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return step, samples, time.perf_counter() - started


def train_step(model, batch, device, optimizer, schedule, scaler):
    """One optimiser step; returns the loss as a detached tensor, so the GPU is not waited on every step."""
    batch = {key: value.to(device, non_blocking=True) for key, value in batch.items()}
    with autocast(device):
        loss = model(**batch).loss
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    scaler.step(optimizer)
    scaler.update()
    schedule.step()
    optimizer.zero_grad(set_to_none=True)
    return loss.detach().float()


def evaluate(model, examples, rows, batches, config, device, label_names) -> dict:
    """Metrics of one split; {} when it is empty (a tiny data set may have no test rows)."""
    if not examples:
        return {}
    argmaxes = predicted_ids(model, examples, batches, config.batch_size, device)
    if config.task == "sequence":
        return classification_metrics(rows["label"], [int(a) for a in argmaxes], label_names)
    gold = [[label_names[tag] for tag in tags] for tags in rows["ner_tags"]]
    predicted = [word_tags(example, argmax, len(words), label_names) for example, argmax, words in zip(examples, argmaxes, gold)]
    return token_metrics(gold, predicted)


@torch.no_grad()
def predicted_ids(model, examples, batches, batch_size, device) -> list:
    """Arg-max label ids: one per example (sequence) or one array per example over its sub-tokens (token)."""
    model.eval()
    results = []
    for start in range(0, len(examples), batch_size):
        batch = batches(examples[start:start + batch_size])
        batch.pop("labels", None)
        with autocast(device):
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
    if config.task not in MODEL_CLASSES:
        raise ValueError(f"task must be one of {sorted(MODEL_CLASSES)}, got {config.task!r}")
    if dataset_task(dataset_dict) != config.task:
        raise ValueError(f"config.task is {config.task!r} but the data set is for {dataset_task(dataset_dict)!r}")
    if len(dataset_dict["train"]) == 0:
        raise ValueError("the train split is empty")
    return label_names_of(dataset_dict)
