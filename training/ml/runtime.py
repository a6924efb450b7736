"""What training and prediction share: the device choice, mixed precision, and the label map beside a model."""
import contextlib
import json
from pathlib import Path

import torch
from transformers import AutoModelForSequenceClassification, AutoModelForTokenClassification

MODEL_CLASSES = {"sequence": AutoModelForSequenceClassification, "token": AutoModelForTokenClassification}
LABEL_MAP_FILE = "label_map.json"


def resolve_device(name="auto") -> torch.device:
    """"auto" takes the GPU when there is one: the same code runs on a laptop, CI and a GPU worker."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


PRECISIONS = ("auto", "fp32", "bf16", "fp16")
_DTYPES = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


def autocast_dtype(device, precision="auto"):
    """"auto": bf16 where the GPU has it (no loss scaling needed), else fp16; None (fp32) on the CPU, where
    fp32 is fastest. An explicit precision is taken as asked (bench compares bf16 against fp32).

    bf16 stays the GPU default although MiniLM on short titles trains faster in fp32: on an H200 it is 1.5x to
    6.6x faster for BERT-base and BERT-large, the models GPU runs are for (bench/results/precision_gpu.md)."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if precision != "auto":
        return _DTYPES[precision]
    if device.type != "cuda":
        return None
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def precision_name(device, precision="auto") -> str:
    dtype = autocast_dtype(device, precision)
    return {None: "fp32", torch.bfloat16: "bf16", torch.float16: "fp16"}[dtype]


def autocast(device, precision="auto"):
    """Mixed precision on CUDA (or as asked), a no-op for fp32."""
    dtype = autocast_dtype(device, precision)
    return torch.autocast(device.type, dtype=dtype) if dtype else contextlib.nullcontext()


def any_process(flag: bool) -> bool:
    """True when the flag is set in any of the run's processes (all_reduce MAX under torchrun), so decisions that
    start a collective (logging gathers the loss) or end the loop are taken by every process at the same step."""
    agreed = torch.tensor([1 if flag else 0])
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        if torch.distributed.get_backend() == "nccl":
            agreed = agreed.cuda()
        torch.distributed.all_reduce(agreed, op=torch.distributed.ReduceOp.MAX)
    return bool(agreed.item())


def write_label_map(folder, *, task, label_names, max_length):
    """What Predictor needs beyond the weights: which head, label names by id, and the length trained on."""
    label_map = {"task": task, "label_names": list(label_names), "max_length": max_length}
    (Path(folder) / LABEL_MAP_FILE).write_text(json.dumps(label_map, indent=2))


def read_label_map(folder) -> dict:
    return json.loads((Path(folder) / LABEL_MAP_FILE).read_text())
