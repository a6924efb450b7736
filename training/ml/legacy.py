"""The hand-written PyTorch loop that trained every run before the Trainer engine (AdamW, linear warm-up and
decay, one device). Kept callable (TrainConfig(engine="legacy")) so bench/train.py can measure the Trainer
engine against it in one run; it has no checkpoints, resume, accumulation or DDP."""
import time

import torch
from torch.utils.data import DataLoader
from transformers import get_linear_schedule_with_warmup

from training.ml.runtime import autocast, autocast_dtype


class Outcome:
    """What a training engine hands back to finetune.train: the trained model and how the loop went."""

    def __init__(self, model, steps, samples, seconds, history=(), checkpoints=(), resumed_from=None, main_process=True):
        self.model, self.steps, self.samples, self.seconds = model, steps, samples, seconds
        self.history, self.checkpoints, self.resumed_from = list(history), list(checkpoints), resumed_from
        self.main_process = main_process


def fit_legacy(model, encoded, batches, config, device, on_progress, should_stop, cancelled) -> Outcome:
    """The training loop: steps, samples seen, seconds. cancelled(step, total) builds the exception to raise."""
    generator = torch.Generator().manual_seed(config.seed)
    loader = DataLoader(encoded["train"], batch_size=config.batch_size, shuffle=True, generator=generator, collate_fn=batches)
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
                raise cancelled(step, total_steps)
            recent_losses.append(train_step(model, batch, device, optimizer, schedule, scaler))
            step, samples = step + 1, samples + len(batch["input_ids"])
            now = time.perf_counter()
            if on_progress is not None and (now - reported_at >= config.progress_seconds or step == total_steps):
                on_progress(step, total_steps, torch.stack(recent_losses).mean().item())
                recent_losses, reported_at = [], now
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return Outcome(model, step, samples, time.perf_counter() - started)


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
