"""bench/replay.py --small end to end: a real crowd replayed through the real services, ours and the baseline,
in a subprocess on its own throwaway database (the script sets up Django itself)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from bench import replay  # noqa: E402

KEYS = {"accuracy", "baseline_accuracy", "answers_per_item", "baseline_answers_per_item", "review_share", "threshold"}


@pytest.mark.skipif(not (replay.DATASETS / replay.SMALL[0] / "answers.csv").exists(), reason="no crowd datasets here")
def test_small_replay_prints_the_table_and_a_json_last_line():
    env = {**os.environ, "SECRET_KEY": "x", "OMP_NUM_THREADS": "1"}
    env.pop("DATABASE_URL", None)  # the script makes its own; never the test database
    done = subprocess.run([sys.executable, "bench/replay.py", "--small"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    report = json.loads(lines[-1])
    name, tasks = replay.SMALL
    assert set(report) == {"datasets"} and set(report["datasets"]) == {name}
    figures = report["datasets"][name]
    assert set(figures) == KEYS
    assert figures["threshold"] == 0.97
    # The baseline pays exactly its fixed overlap of three (every snow_RTE task has ten answers to give).
    assert figures["baseline_answers_per_item"] == 3.0
    assert 0.0 <= figures["accuracy"] <= 1.0 and 0.0 <= figures["baseline_accuracy"] <= 1.0
    assert 2.0 <= figures["answers_per_item"] <= 6.0
    assert 0.0 <= figures["review_share"] <= 1.0
    # The table says the crowd was cut to its first tasks.
    assert any(line.startswith(name) and f"{tasks}/800*" in line for line in lines)
