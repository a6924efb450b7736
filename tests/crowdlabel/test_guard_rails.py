"""The CI guard rails fail on what they guard against (and pass on the code as it is)."""

import subprocess
import sys
from pathlib import Path

import pytest

from scripts import check_writes

ROOT = Path(__file__).resolve().parents[2]

SCRATCH = '''
from accounts.models import WorkerProfile
from tasks.models import Item, ItemState

ITEM = Item._meta.db_table


def sneak(pk):
    Item.objects.filter(pk=pk).update(state=ItemState.ACCEPTED)
    profile = WorkerProfile.objects.get(pk=pk)
    profile.save()
    return f"UPDATE {ITEM} SET open_slots = 0", "INSERT INTO tasks_assignment (id) VALUES (1)"
'''


def test_every_app_writes_only_its_own_tables():
    assert check_writes.check(check_writes.app_files([])) == []


def test_a_cross_app_write_is_reported_four_ways():
    problems = check_writes.check_source(SCRATCH, app="quality", name="quality/scratch.py")
    assert [p.split(": ", 1)[0] for p in problems] == [
        "quality/scratch.py:9", "quality/scratch.py:11", "quality/scratch.py:12", "quality/scratch.py:12",
    ]
    assert "tasks_item" in problems[2] and "tasks_assignment" in problems[3]


def test_the_owner_may_write_its_own_tables():
    assert check_writes.check_source(SCRATCH.replace("WorkerProfile.objects.get(pk=pk)", "None"), app="tasks") == []


@pytest.mark.parametrize("scratch, broken", [
    ("from quality.models import Suggestion\n", True),  # tasks importing upwards
    ("from accounts.models import User\n", False),
])
def test_the_layer_contract_fails_on_an_upward_import(tmp_path, scratch, broken):
    module = ROOT / "tasks" / "_guard_rail_scratch.py"
    module.write_text(scratch)
    try:
        result = subprocess.run(
            [str(Path(sys.executable).parent / "lint-imports"), "--no-cache", "--contract", "layers"],
            cwd=ROOT, capture_output=True, text=True, env={"PYTHONPATH": str(ROOT), "SECRET_KEY": "x", "PATH": "/usr/bin:/bin"},
        )
    finally:
        module.unlink()
    assert (result.returncode != 0) == broken, result.stdout[-2000:]
