"""Early stopping and gradient accumulation of the Trainer engine, on the tiny BERT and product titles of test_ml."""
import itertools
import math

import pytest
import torch
from torch.optim.optimizer import register_optimizer_step_post_hook
from transformers import BertForSequenceClassification, BertForTokenClassification, BertTokenizer

from tests.training.test_ml import PRODUCT_WORDS, VOCABULARY, entity_records, product_records, tiny_model
from training.ml.datasets import build_classification_dataset, build_token_dataset
from training.ml.finetune import TrainConfig, TrainingCancelled, train

TRAIN_ROWS = 84  # product_records() with 15% validation and 15% test


@pytest.fixture(scope="module")
def tokenizer():
    return BertTokenizer(vocab={word: index for index, word in enumerate(VOCABULARY)})


@pytest.fixture(scope="module")
def dataset():
    split = build_classification_dataset(product_records(), list(PRODUCT_WORDS), seed=3, validation=0.15, test=0.15)
    assert len(split["train"]) == TRAIN_ROWS
    return split


def sequence_config(**fields) -> TrainConfig:
    # 3e-3: the tiny model learns the titles within a few epochs (1.0 macro-F1 on validation by the third),
    # then the score stays flat: the run learns, then stops improving
    return TrainConfig(base_model="unused", max_length=16, device="cpu", **({"task": "sequence", "learning_rate": 3e-3} | fields))


def validations_until_stop(scores, patience):
    """How many validations EarlyStoppingCallback lets run: it stops at the patience-th in a row that does not
    beat the best so far (strictly). None when it never would."""
    best, waited = -math.inf, 0
    for count, score in enumerate(scores, start=1):
        best, waited = (score, 0) if score > best else (best, waited + 1)
        if waited == patience:
            return count
    return None


def test_early_stopping_ends_the_run_when_validation_stops_improving(tokenizer, dataset, tmp_path):
    epochs, batches_per_epoch = 40, math.ceil(TRAIN_ROWS / 8)
    progress = []
    config = sequence_config(epochs=epochs, batch_size=8, early_stopping_patience=2, progress_seconds=0)
    result = train(config, dataset, tmp_path, on_progress=lambda *args: progress.append(args),
                   model=tiny_model(BertForSequenceClassification, 3), tokenizer=tokenizer)

    validations = [row for row in result.history if "validation_score" in row]
    scores = [row["validation_score"] for row in validations]
    assert validations_until_stop(scores, patience=2) == len(scores) < epochs  # stopped at the first chance, not later
    assert max(scores) > scores[0]  # it learnt before it stopped: not a run that never moved
    assert [row["step"] for row in validations] == [batches_per_epoch * n for n in range(1, len(scores) + 1)]
    assert result.steps == validations[-1]["step"] == progress[-1][0] < progress[-1][1] == epochs * batches_per_epoch
    # the best checkpoint, not the last, is the model kept: its validation figures are the best ones seen
    assert result.metrics["validation"]["macro_f1"] == pytest.approx(max(scores), abs=1e-5)  # history rounds to 5 places


def test_without_patience_the_run_trains_every_epoch_despite_a_flat_validation(tokenizer, dataset, tmp_path):
    config = sequence_config(epochs=12, batch_size=8, early_stopping_patience=0)
    result = train(config, dataset, tmp_path, model=tiny_model(BertForSequenceClassification, 3), tokenizer=tokenizer)
    scores = [row["validation_score"] for row in result.history if "validation_score" in row]
    assert validations_until_stop(scores, patience=2) is not None  # patience 2 would have stopped this one early
    assert result.steps == 12 * math.ceil(TRAIN_ROWS / 8) and len(scores) == 12


class OptimizerSteps:
    """Counts every torch optimizer step and keeps the first step's first moments (Adam's exp_avg, which after
    one step is (1 - beta1) x the gradient the optimizer was given, after clipping)."""

    def __init__(self):
        self.count, self.first_moments = 0, None

    def __enter__(self):
        self.handle = register_optimizer_step_post_hook(self.stepped)
        return self

    def __exit__(self, *exc):
        self.handle.remove()

    def stepped(self, optimizer, args, kwargs):
        self.count += 1
        if self.first_moments is None:
            self.first_moments = torch.cat([optimizer.state[p]["exp_avg"].flatten() for group in optimizer.param_groups
                                            for p in group["params"] if "exp_avg" in optimizer.state[p]])


@pytest.mark.parametrize(("batch_size", "accumulation", "expected_steps"), [(4, 1, 2 * 21), (4, 3, 2 * 7), (12, 1, 2 * 7)])
def test_gradient_accumulation_steps_the_optimizer_once_per_n_batches(tokenizer, dataset, tmp_path, batch_size,
                                                                     accumulation, expected_steps):
    progress = []
    config = sequence_config(epochs=2, batch_size=batch_size, gradient_accumulation=accumulation, progress_seconds=0)
    with OptimizerSteps() as optimizer_steps:
        result = train(config, dataset, tmp_path, on_progress=lambda *args: progress.append(args),
                       model=tiny_model(BertForSequenceClassification, 3), tokenizer=tokenizer)
    assert optimizer_steps.count == result.steps == expected_steps == progress[-1][0] == progress[-1][1]


HEADS = {"sequence": (BertForSequenceClassification, 3), "token": (BertForTokenClassification, 5)}


@pytest.fixture(scope="module")
def token_dataset():
    return build_token_dataset(entity_records(), ["colour", "product"], seed=3, validation=0.15, test=0.15)


def first_step(tokenizer, dataset, folder, batch_size, accumulation) -> tuple:
    """(the loss reported for step 1, the gradient the optimizer took at step 1, the weights after it)."""
    task = "token" if "tokens" in dataset["train"].column_names else "sequence"
    model = tiny_model(*HEADS[task], hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    progress, polls = [], itertools.count(1)
    config = sequence_config(task=task, epochs=1, batch_size=batch_size, gradient_accumulation=accumulation,
                             warmup_ratio=0.0, progress_seconds=0)
    with OptimizerSteps() as optimizer_steps, pytest.raises(TrainingCancelled):
        train(config, dataset, folder, on_progress=lambda *args: progress.append(args),
              should_stop=lambda: next(polls) > 1, model=model, tokenizer=tokenizer)
    assert optimizer_steps.count == 1 and progress[0][0] == 1
    weights = torch.cat([p.detach().flatten() for p in model.parameters()])
    return progress[0][2], optimizer_steps.first_moments, weights


@pytest.mark.parametrize("task", ["sequence", "token"])
def test_accumulated_batches_train_as_one_batch_of_their_sum(tokenizer, dataset, token_dataset, tmp_path, task):
    """4 x 3 accumulated must take the step one batch of 12 takes (same 12 texts first: the sampler's order does
    not depend on the batch size); one batch of 4 alone shows the comparison can tell them apart. Spans too: there
    the loss is a mean over words, whose count differs from batch to batch."""
    dataset = dataset if task == "sequence" else token_dataset
    whole_loss, whole_gradient, whole_weights = first_step(tokenizer, dataset, tmp_path / "12x1", 12, 1)
    accumulated_loss, accumulated_gradient, accumulated_weights = first_step(tokenizer, dataset, tmp_path / "4x3", 4, 3)
    part_loss, part_gradient, part_weights = first_step(tokenizer, dataset, tmp_path / "4x1", 4, 1)

    assert accumulated_loss == pytest.approx(whole_loss, rel=1e-5)  # the mean over 12 texts, not a sum of 3 means
    assert torch.allclose(accumulated_gradient, whole_gradient, rtol=1e-4, atol=1e-7)
    # Adam divides by |gradient|: float rounding in near-zero gradients moves a weight by ~1e-6, a sign 2 x 3e-3
    assert torch.allclose(accumulated_weights, whole_weights, rtol=0, atol=1e-5)
    assert part_loss != pytest.approx(whole_loss, rel=1e-3)
    assert not torch.allclose(part_gradient, whole_gradient, rtol=1e-2, atol=1e-5)
    assert not torch.allclose(part_weights, whole_weights, rtol=0, atol=1e-5)
