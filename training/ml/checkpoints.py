"""Where a run's Trainer checkpoints lie: read by the engine to resume, and by the admin and the resume
service without importing transformers."""
from pathlib import Path

CHECKPOINTS = "checkpoints"
CHECKPOINT_PREFIX = "checkpoint-"
STATE_FILE = "trainer_state.json"  # written last into a checkpoint: its presence says the checkpoint is whole


def checkpoints_in(output_dir) -> list:
    """Complete checkpoint folders of a run, oldest first (a worker killed mid-save leaves one without state)."""
    folder = Path(output_dir) / CHECKPOINTS
    found = [path for path in folder.glob(f"{CHECKPOINT_PREFIX}*") if (path / STATE_FILE).exists()]
    return sorted(found, key=checkpoint_step)


def resume_checkpoint(output_dir):
    """The checkpoint a relaunch goes on from: the last complete one (None: it trains from the start). The engine
    resumes from it, and the admin and the curves name its step, so all three say the same."""
    found = checkpoints_in(output_dir)
    return found[-1] if found else None


def checkpoint_step(path) -> int:
    return int(Path(path).name[len(CHECKPOINT_PREFIX):])
