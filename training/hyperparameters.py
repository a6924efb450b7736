"""The fine-tuning settings a run is launched with: one default and one allowed range each, read by the run's
model fields, the API's launch serializer and the admin's launch form, so the three cannot drift apart.

Plain Python (no Django, no torch): training/ml's TrainConfig can read the same defaults. bench/train.py
chooses its own for its data sets, on purpose (its docstring says why).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Hyperparameter:
    default: int | float
    min_value: int | float
    max_value: int | float | None = None

    def bounds(self) -> dict:
        """min_value/max_value as Django's and DRF's number fields take them."""
        return {"min_value": self.min_value, "max_value": self.max_value}


EPOCHS = Hyperparameter(default=3, min_value=1, max_value=100)
LEARNING_RATE = Hyperparameter(default=5e-5, min_value=1e-7, max_value=1e-2)
BATCH_SIZE = Hyperparameter(default=16, min_value=1, max_value=512)
MAX_LENGTH = Hyperparameter(default=64, min_value=8, max_value=512)  # sub-tokens per text
SEED = Hyperparameter(default=13, min_value=0)

DEVICE_DEFAULT = "auto"
DEVICES = {  # what a run may ask for: the value and how a person reads it
    "auto": "auto (CUDA + mixed precision when available)",
    "cpu": "cpu",
    "cuda": "cuda",
}
