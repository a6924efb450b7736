"""The Trainer engine of a run: transformers.Trainer (on accelerate) brings checkpoints, resume, early stopping,
gradient accumulation, mixed precision and DDP under torchrun, so the run keeps only its contract here:
progress to the caller, a stop between steps, and the loop's own speed (evaluation and saving left out).
"""
import os
import time
from pathlib import Path

import numpy as np
import torch
from transformers import EarlyStoppingCallback, PrinterCallback, Trainer, TrainerCallback, TrainingArguments

from training.ml.checkpoints import CHECKPOINTS, checkpoints_in, resume_checkpoint
from training.ml.encoding import IGNORED
from training.ml.legacy import Outcome
from training.ml.metrics import classification_metrics, token_metrics
from training.ml.runtime import any_process, precision_name

def fit_trainer(model, tokenizer, encoded, batches, config, output_dir, label_names, *,
                on_progress, should_stop, cancelled, on_history=None) -> Outcome:
    """Train with transformers.Trainer, resuming from the run's last complete checkpoint when there is one."""
    has_validation = bool(encoded.get("validation"))
    watcher = RunCallback(on_progress, should_stop, cancelled, config.progress_seconds, len(encoded["train"]),
                          on_history=on_history)
    callbacks = [watcher]
    if has_validation and config.early_stopping_patience:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=config.early_stopping_patience))
    trainer = Trainer(
        model=model, args=training_arguments(config, output_dir, has_validation), data_collator=batches,
        train_dataset=encoded["train"], eval_dataset=encoded.get("validation") or None, processing_class=tokenizer,
        compute_metrics=_validation_scorer(config.task, label_names), callbacks=callbacks,
        compute_loss_func=loss_over_labelled_items,
    )
    trainer.remove_callback(PrinterCallback)  # progress goes to on_progress, not to stdout
    previous = resume_checkpoint(output_dir)
    resumed_from = str(previous) if previous else None
    trainer.train(resume_from_checkpoint=resumed_from)
    history = [_history_row(row) for row in trainer.state.log_history if "loss" in row or "eval_loss" in row]
    return Outcome(
        trainer.model, trainer.state.global_step, watcher.samples, watcher.loop_seconds, history=history,
        checkpoints=[path.name for path in checkpoints_in(output_dir)], resumed_from=resumed_from,
        main_process=trainer.is_world_process_zero(),
    )


def training_arguments(config, output_dir, has_validation) -> TrainingArguments:
    """Checkpoints every config.checkpoint_steps steps (0: every epoch), validated at the same moments, so the
    best checkpoint can be kept and early stopping can read the validation figure."""
    every = {"save_strategy": "steps", "save_steps": config.checkpoint_steps} if config.checkpoint_steps else {"save_strategy": "epoch"}
    evaluation = {"eval_strategy": every["save_strategy"], **({"eval_steps": config.checkpoint_steps} if config.checkpoint_steps else {})}
    precision = precision_name(_device_of(config), config.precision)
    return TrainingArguments(
        output_dir=str(Path(output_dir) / CHECKPOINTS),
        num_train_epochs=config.epochs,
        per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=config.batch_size,
        gradient_accumulation_steps=config.gradient_accumulation,
        learning_rate=config.learning_rate,
        weight_decay=config.weight_decay,
        warmup_steps=config.warmup_ratio,  # a float below 1 is a share of the steps
        lr_scheduler_type="linear",
        max_grad_norm=1.0,
        seed=config.seed,
        data_seed=config.seed,
        bf16=precision == "bf16",
        fp16=precision == "fp16",
        use_cpu=_device_of(config).type == "cpu",
        # named only under torchrun: a backend for one process makes accelerate look for a process group
        ddp_backend=("nccl" if _device_of(config).type == "cuda" else "gloo") if _world_size() > 1 else None,
        ddp_find_unused_parameters=False,  # MiniLM's pooler is unused by the heads, but frozen out of DDP's way
        save_total_limit=config.keep_checkpoints,
        load_best_model_at_end=has_validation,
        metric_for_best_model="score" if has_validation else None,
        greater_is_better=True,
        logging_strategy="no",  # RunCallback asks for a loss figure: by time, at validations and checkpoints
        report_to="none",
        disable_tqdm=True,
        dataloader_num_workers=0,
        remove_unused_columns=False,  # the examples are plain dicts; the collator keeps what the model takes
        **every,
        **(evaluation if has_validation else {"eval_strategy": "no"}),
    )


def loss_over_labelled_items(outputs, labels, num_items_in_batch=None):
    """Cross-entropy summed over the labelled items (texts, or words' first sub-tokens) and divided by their count
    in the whole accumulated batch, so N accumulated batches of B train as one batch of N x B.

    Trainer counts that total (num_items_in_batch) and leaves the division to the model whenever its forward takes
    **kwargs, as the BERT-style heads' do; but they ignore it and return each batch's mean, so with accumulation
    Trainer summed N means: the gradient and the reported loss were N times too large.
    """
    logits = outputs.logits.float()
    total = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), labels.reshape(-1).to(logits.device),
                                              ignore_index=IGNORED, reduction="sum")
    if num_items_in_batch is None:  # evaluation: one batch
        num_items_in_batch = (labels != IGNORED).sum().clamp(min=1)
    return total / num_items_in_batch


def _world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def _device_of(config):
    from training.ml.runtime import resolve_device

    return resolve_device(config.device)


class RunCallback(TrainerCallback):
    """The run's contract inside Trainer: progress (step, total, mean loss since the last figure) at most once every
    progress_seconds, at each validation and checkpoint, and at the end; the curves' new points (on_history, just
    before the progress report that carries them); a stop before any step; and the seconds spent in steps alone:
    evaluation, checkpoints and logging restart the clock, so samples/s compares with the legacy loop, which did
    neither.

    Trainer logs the loss only when this callback asks (logging_strategy "no"): the time is read in every process
    and agreed on (any_process), since logging gathers the loss from all of them."""

    def __init__(self, on_progress, should_stop, cancelled, progress_seconds, train_size, on_history=None):
        self.on_progress, self.should_stop, self.cancelled = on_progress, should_stop, cancelled
        self.on_history, self.progress_seconds, self.train_size = on_history, progress_seconds, train_size
        self.loop_seconds, self.mark, self.logged_at, self.first_epoch = 0.0, None, -float("inf"), None
        self.last_loss, self.reported_step, self.new_points = None, None, []

    @property
    def samples(self) -> int:
        return 0 if self.first_epoch is None else round(self.train_size * (self.epoch - self.first_epoch))

    def on_train_begin(self, args, state, control, **kwargs):
        self.first_epoch = self.epoch = state.epoch or 0.0  # a resumed run counts only what it trains now
        self._restart_clock()

    def on_step_begin(self, args, state, control, **kwargs):
        if self.should_stop is not None and self.should_stop():
            self._report(state)  # the curves so far stay with the cancelled run
            raise self.cancelled(state.global_step, state.max_steps)

    def on_step_end(self, args, state, control, **kwargs):
        now = time.perf_counter()
        self.loop_seconds += now - self.mark
        self.mark, self.epoch = now, state.epoch
        # Validation and checkpoint steps are decided alike in every process; only the clock needs agreeing on.
        due = (control.should_evaluate or control.should_save or state.global_step in (1, state.max_steps)
               or any_process(now - self.logged_at >= self.progress_seconds))
        if due:
            control.should_log = True
            self.logged_at = now
        return control

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and ("loss" in logs or "eval_loss" in logs):
            self.last_loss = float(logs["loss"]) if "loss" in logs else self.last_loss
            self.new_points.append(_history_row({**logs, "step": state.global_step}))
            if "eval_loss" in logs or not control.should_evaluate:  # a validation follows: one report for both
                self._report(state)
        self._restart_clock()

    def on_epoch_end(self, args, state, control, **kwargs):
        if control.should_evaluate or control.should_save:  # an epoch's validation: its loss figure goes with it
            control.should_log = True
        return control

    def on_train_end(self, args, state, control, **kwargs):
        self._report(state)

    def _report(self, state):
        """Pass on what is new since the last report: nothing when nothing is."""
        if self.on_progress is None or self.last_loss is None:
            return
        if not self.new_points and self.reported_step == state.global_step:
            return
        if self.on_history is not None and self.new_points:
            self.on_history(self.new_points)
        self.new_points = []
        self.on_progress(state.global_step, state.max_steps, self.last_loss)
        self.reported_step = state.global_step

    def _restart_clock(self, *args, **kwargs):
        self.mark = time.perf_counter()

    on_evaluate = on_save = on_epoch_begin = _restart_clock


def _validation_scorer(task, label_names):
    """compute_metrics for Trainer: {"score": macro-F1 (labels) or entity F1 (spans)}, the figure early
    stopping and the best checkpoint follow. Token rows are read at the first sub-token of each word, as in
    the final evaluation; words lost to truncation are left out here (they are counted in the run's figures)."""
    def score(prediction) -> dict:
        logits = prediction.predictions[0] if isinstance(prediction.predictions, tuple) else prediction.predictions
        argmax, gold = np.asarray(logits).argmax(axis=-1), np.asarray(prediction.label_ids)
        if task == "sequence":
            return {"score": classification_metrics(gold, argmax, label_names)["macro_f1"]}
        kept = [row != IGNORED for row in gold]
        gold_tags = [[label_names[t] for t in row[mask]] for row, mask in zip(gold, kept)]
        predicted_tags = [[label_names[t] for t in row[mask]] for row, mask in zip(argmax, kept)]
        return {"score": token_metrics(gold_tags, predicted_tags)["f1"]}
    return score


def _history_row(row) -> dict:
    """One point of the run's curves: training loss, or the validation loss and score at a checkpoint."""
    keep = {"step": row["step"], "epoch": round(row.get("epoch", 0.0), 3)}
    if "loss" in row:
        keep["loss"] = round(float(row["loss"]), 5)
    if "eval_loss" in row:
        keep["validation_loss"] = round(float(row["eval_loss"]), 5)
        keep["validation_score"] = round(float(row.get("eval_score", 0.0)), 5)
    return keep
