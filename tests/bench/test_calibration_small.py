"""bench/calibration.py at its CI size: a benchmark nobody runs rots, so the suite runs it small."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
CROWDS = PROJECT.parent / "shared/datasets/crowd"


@pytest.mark.skipif(not (CROWDS / "snow_RTE/answers.csv").exists(), reason=f"no crowd data sets in {CROWDS}")
def test_calibration_benchmark_runs_at_its_small_size():
    done = subprocess.run([sys.executable, PROJECT / "bench/calibration.py", "--small", "--seeds", "2"],
                          capture_output=True, text=True, timeout=600, cwd=PROJECT)
    assert done.returncode == 0, done.stderr[-2000:]
    last = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(last) == {"datasets", "worst_ece", "worst_gap_pt"}
    assert set(last["datasets"]) == {"snow_RTE", "zheng_S_Dog"}
    for figures in last["datasets"].values():
        assert set(figures) == {"acc", "ece", "acc_at_090", "share_at_090"} and 0.5 < figures["acc"] <= 1
    # --seeds: one row per crowd, its seed-0 ECE the one the last line reports (the same draw of gold)
    spread = {line.split()[0]: line.split() for line in done.stdout.split("ECE per gold seed")[1].splitlines()[2:4]}
    assert set(spread) == {"snow_RTE", "zheng_S_Dog"}
    for name, cells in spread.items():
        assert float(cells[1]) == pytest.approx(last["datasets"][name]["ece"], abs=6e-4)
        assert 0 <= float(cells[2]) <= 1 and cells[-1].endswith("/2")
    print(done.stdout.strip().splitlines()[-1])  # the CI log shows the figures
