"""Runs under torchrun (training/ml/launcher.py) on a tiny local BERT: 1 and 2 CPU processes (gloo), and a run
killed after its first checkpoint then relaunched. No database; each test starts real processes (seconds)."""
import json
import signal
import subprocess
import sys
import time

import pytest
import torch
from transformers import BertConfig, BertModel, BertTokenizer

from tests.training.tiny_models import FILLERS, VOCAB, WORDS, process_alive
from training.ml import launcher
from training.ml.checkpoints import checkpoints_in
from training.ml.datasets import build_classification_dataset, snapshot_save
from training.ml.finetune import TrainConfig, TrainingCancelled


@pytest.fixture(scope="module")
def base_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny-bert")
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(VOCAB), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=32)
    BertModel(config).save_pretrained(folder)
    BertTokenizer(vocab={word: index for index, word in enumerate(VOCAB)}).save_pretrained(folder)
    return str(folder)


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    records = []
    for n in range(96):
        label = list(WORDS)[n % 3]
        records.append({"text": f"{FILLERS[n % 8]} {WORDS[label][n % len(WORDS[label])]} {FILLERS[(n * 5) % 8]}", "label": label})
    dataset = build_classification_dataset(records, list(WORDS), seed=3, validation=0.125, test=0.125)
    return snapshot_save(dataset, tmp_path_factory.mktemp("snapshot"), {"project": "test"})


def config_for(base_model, **extra):
    settings = {"task": "sequence", "base_model": base_model, "epochs": 4, "batch_size": 8, "max_length": 16,
                "learning_rate": 3e-3, "device": "cpu", "progress_seconds": 0}
    return TrainConfig(**(settings | extra))


def shape(value):
    """The keys of nested dicts, with the leaves' types: what 'the same metrics shape' compares."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    return type(value).__name__


def test_two_processes_give_the_same_metrics_shape_as_one(base_model, snapshot, tmp_path):
    one = launcher.train_in_processes(config_for(base_model), snapshot, tmp_path / "one", poll_seconds=0.1)
    progress = []
    two = launcher.train_in_processes(config_for(base_model, processes=2), snapshot, tmp_path / "two",
                                      on_progress=lambda *args: progress.append(args), poll_seconds=0.1)
    assert shape(two.metrics) == shape(one.metrics) and two.metrics["test"]["examples"] == one.metrics["test"]["examples"]
    assert (one.processes, two.processes) == (1, 2)
    # Each process takes a batch of 8 per step: two processes take the epoch in half the steps.
    assert one.steps == 4 * 9 and two.steps == 4 * 5
    assert progress and progress[-1][0] == progress[-1][1] == two.steps
    assert (tmp_path / "two" / "label_map.json").exists() and two.history


def test_a_run_killed_after_its_first_checkpoint_resumes_to_the_end(base_model, snapshot, tmp_path):
    """The caller (a Celery worker in production, a plain process here) is killed after the first checkpoint;
    its training process notices at its next step and ends; the relaunch resumes from the last checkpoint."""
    config = config_for(base_model, epochs=24, checkpoint_steps=10, keep_checkpoints=5)
    job = launcher.job_prepare(config, snapshot, tmp_path)
    caller = subprocess.Popen([sys.executable, "-m", "training.ml.launcher", str(tmp_path)], cwd=launcher.PROJECT_ROOT,
                              env=launcher.job_environment(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not checkpoints_in(tmp_path) and caller.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    caller.send_signal(signal.SIGKILL)
    caller.wait()
    agent = int((job / launcher.PID_FILE).read_text())
    while process_alive(agent) and time.time() < deadline:
        time.sleep(0.1)
    killed_at = checkpoints_in(tmp_path)
    assert not process_alive(agent) and killed_at and not (job / launcher.RESULT_FILE).exists(), "the run was not stopped midway"

    progress = []
    result = launcher.train_in_processes(config, snapshot, tmp_path, on_progress=lambda *args: progress.append(args),
                                         poll_seconds=0.1)
    total = 24 * 9
    assert result.resumed_from == str(killed_at[-1]) and result.steps == total
    assert progress[0][0] > int(killed_at[-1].name.split("-")[1])  # training went on from there, not from 0
    assert progress[-1][:2] == (total, total)
    assert result.metrics["test"]["examples"] == 12 and 0 <= result.metrics["test"]["macro_f1"] <= 1


def test_a_cancel_request_stops_every_process(base_model, snapshot, tmp_path):
    with pytest.raises(TrainingCancelled) as cancelled:
        launcher.train_in_processes(config_for(base_model, epochs=200, processes=2), snapshot, tmp_path,
                                    should_stop=lambda: True, poll_seconds=0.1)
    assert 0 <= cancelled.value.step < cancelled.value.total_steps
    assert not (tmp_path / "label_map.json").exists()
    assert json.loads((tmp_path / launcher.JOB / launcher.CANCELLED_FILE).read_text())["total"] == 200 * 5
